"""Reports as Open311 service requests: the searches GET requests needs, within the caller's reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.reports.domain.open311 import ServiceRequest

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


def _reach_clause(reach: Reach, args: list[object]) -> str | None:
    if reach.everything:
        return None
    if reach.reporter_id is not None:
        args.append(reach.reporter_id)
        return f"reporter_id = ${len(args)}"
    if reach.community_code is not None:
        args.append(reach.community_code)
        return f"community_code = ${len(args)}"
    if reach.street_code is not None:
        # community codes are the 9-digit street code followed by three digits
        args.append(reach.street_code)
        return f"starts_with(community_code, ${len(args)})"
    return "false"


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
        clauses.append("status = 'closed'" if "closed" in wanted.statuses else "status <> 'closed'")
    return clauses


class Open311Queries:
    """Read-only searches over the reports table for the Open311 façade."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find(
        self, reach: Reach, wanted: RequestFilter, *, limit: int = MAX_REQUESTS
    ) -> list[ServiceRequest]:
        """Reports within reach matching the filter, newest first."""
        args: list[object] = []
        clauses = [c for c in (_reach_clause(reach, args), *_filter_clauses(wanted, args)) if c]
        args.append(limit)
        where = " AND ".join(clauses) or "true"
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM reports WHERE {where} "
            f"ORDER BY submitted_at DESC LIMIT ${len(args)}",
            *args,
        )
        return [_stored(r) for r in rows]

    async def one(self, reach: Reach, report_id: str) -> ServiceRequest | None:
        """One report within reach, or None if it is unknown or out of reach."""
        found = await self.find(reach, RequestFilter(ids=(report_id,)), limit=1)
        return found[0] if found else None
