"""Reports as Open311 service requests: the searches GET requests needs, within the caller's reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.reports.domain.open311 import CLOSED_STATUSES, ServiceRequest

MAX_REQUESTS = 1000  # GeoReport v2's default cap on one answer


@dataclass(frozen=True)
class Reach:
    """Which reports a caller may see: their own, a community's, a street's, or all."""

    reporter_id: str | None = None
    community_code: str | None = None
    street_code: str | None = None
    everything: bool = False


@dataclass(frozen=True)
class RequestFilter:
    """GET requests' parameters; ids, when given, override everything else as the spec says."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


_COLUMNS = (
    "report_id, kind, category, status, status_notes, description, address, lat, lon, "
    "community_code, submitted_at, updated_at, resolve_by"
)


def _stored(row: asyncpg.Record) -> ServiceRequest:
    return ServiceRequest(**{**dict(row), "report_id": str(row["report_id"])})


def _reach(reach: Reach, args: list[object]) -> tuple[str, str | None]:
    """The view to search and the condition that keeps to the caller's reach.

    A community's or a street's reports are all routed: they are read from the routed view, which
    orders a community's by its (community, submitted_at) index instead of sorting every report.
    """
    if reach.everything:
        return "report_state", None
    if reach.reporter_id is not None:
        args.append(reach.reporter_id)
        return "report_state", f"reporter_id = ${len(args)}"
    if reach.community_code is not None:
        args.append(reach.community_code)
        return "routed_report_state", f"community_code = ${len(args)}"
    if reach.street_code is not None:
        # community codes are the 9-digit street code followed by three digits
        args.append(reach.street_code)
        return "routed_report_state", f"starts_with(community_code, ${len(args)})"
    return "report_state", "false"


def _filter_clauses(wanted: RequestFilter, args: list[object]) -> list[str]:
    if wanted.ids:
        args.append(list(wanted.ids))
        return [f"report_id = ANY(${len(args)}::uuid[])"]
    clauses = []
    if wanted.service_codes:
        args.append(list(wanted.service_codes))
        clauses.append(f"kind || '.' || category = ANY(${len(args)}::text[])")
    if wanted.start is not None:
        args.append(wanted.start)
        clauses.append(f"submitted_at >= ${len(args)}")
    if wanted.end is not None:
        args.append(wanted.end)
        clauses.append(f"submitted_at <= ${len(args)}")
    if wanted.statuses and set(wanted.statuses) != {"open", "closed"}:
        # Open311's "closed" is each of our statuses request_status calls so.
        args.append(list(CLOSED_STATUSES))
        closed = f"status = ANY(${len(args)}::text[])"
        clauses.append(closed if "closed" in wanted.statuses else f"NOT {closed}")
    return clauses


def search(reach: Reach, wanted: RequestFilter, *, limit: int) -> tuple[str, list[object]]:
    """The statement that finds the reports within reach matching the filter, and its arguments."""
    args: list[object] = []
    source, within = _reach(reach, args)
    clauses = [c for c in (within, *_filter_clauses(wanted, args)) if c]
    args.append(limit)
    where = " AND ".join(clauses) or "true"
    statement = f"SELECT {_COLUMNS} FROM {source} WHERE {where} ORDER BY submitted_at DESC LIMIT ${len(args)}"
    return statement, args


class Open311Queries:
    """Read-only searches over the reports (the views report_state and routed_report_state) for the
    Open311 façade."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find(
        self, reach: Reach, wanted: RequestFilter, *, limit: int = MAX_REQUESTS
    ) -> list[ServiceRequest]:
        """Reports within reach matching the filter, newest first."""
        statement, args = search(reach, wanted, limit=limit)
        return [_stored(r) for r in await self._pool.fetch(statement, *args)]

    async def one(self, reach: Reach, report_id: str) -> ServiceRequest | None:
        """One report within reach, or None if it is unknown or out of reach."""
        found = await self.find(reach, RequestFilter(ids=(report_id,)), limit=1)
        return found[0] if found else None
