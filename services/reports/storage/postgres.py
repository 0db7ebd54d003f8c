"""Reports in PostgreSQL, with their events written to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.reports.domain.report import Report
from shared.events.envelope import OutgoingMessage
from shared.postgres.outbox import enqueue

SCHEMA = "reports"

_COLUMNS = (
    "report_id, reporter_id, kind, category, severity, lon, lat, description, address, photos, "
    "reporter_hidden, status, submitted_at, case_id, community_code"
)


def _report(row: asyncpg.Record) -> Report:
    return Report(
        report_id=str(row["report_id"]),
        reporter_id=row["reporter_id"],
        kind=row["kind"],
        category=row["category"],
        severity=row["severity"],
        lon=row["lon"],
        lat=row["lat"],
        description=row["description"],
        address=row["address"],
        photos=tuple(row["photos"]),
        reporter_hidden=row["reporter_hidden"],
        status=row["status"],
        submitted_at=row["submitted_at"],
    )


@dataclass(frozen=True)
class ReportRecord:
    """A stored report and where its case stands."""

    report: Report
    case_id: str | None
    community_code: str | None
    street_code: str | None
    co_owner_code: str | None
    status_notes: str | None


class PostgresReportStore:
    """Stores reports; every write that emits an event commits it to the outbox too."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add(
        self, report: Report, *, idempotency_key: str | None, message: OutgoingMessage
    ) -> tuple[Report, bool]:
        """Insert the report and its event; a repeated idempotency key returns the first report."""
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                """
                INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat,
                    description, address, photos, reporter_hidden, idempotency_key, status,
                    submitted_at, updated_at, pairing_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15)
                ON CONFLICT (reporter_id, idempotency_key) DO NOTHING
                RETURNING report_id
                """,
                report.report_id, report.reporter_id, report.kind, report.category,
                report.severity, report.lon, report.lat, report.description, report.address,
                list(report.photos), report.reporter_hidden, idempotency_key, report.status,
                report.submitted_at, report.pairing_id,
            )
            if inserted is None:
                row = await conn.fetchrow(
                    f"SELECT {_COLUMNS} FROM reports WHERE reporter_id = $1 AND idempotency_key = $2",
                    report.reporter_id, idempotency_key,
                )
                return _report(row), False
            await enqueue(conn, SCHEMA, [message])
        return report, True

    async def get(self, report_id: str) -> ReportRecord | None:
        """A report with where its case stands, or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS}, street_code, co_owner_code, status_notes FROM reports "
            "WHERE report_id = $1::uuid",
            report_id,
        )
        if row is None:
            return None
        return ReportRecord(
            report=_report(row),
            case_id=str(row["case_id"]) if row["case_id"] else None,
            community_code=row["community_code"],
            street_code=row["street_code"],
            co_owner_code=row["co_owner_code"],
            status_notes=row["status_notes"],
        )

    async def list_by_reporter(self, reporter_id: str, *, limit: int = 100) -> list[asyncpg.Record]:
        """A worker's own reports, newest first."""
        return await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM reports WHERE reporter_id = $1 "
            "ORDER BY submitted_at DESC LIMIT $2",
            reporter_id, limit,
        )


async def mark_routed(
    conn: asyncpg.Connection,
    *,
    report_id: str,
    case_id: str,
    community_code: str | None,
    street_code: str | None = None,
    co_owner_code: str | None = None,
    resolve_by: datetime | None = None,
    status_notes: str | None = None,
) -> None:
    """Record that the report is on a case and who owns it (inside the consumer's transaction)."""
    await conn.execute(
        "UPDATE reports SET status = 'routed', case_id = $2::uuid, community_code = $3, "
        "street_code = $4, co_owner_code = $5, resolve_by = coalesce($6, resolve_by), "
        "status_notes = $7, updated_at = now() WHERE report_id = $1::uuid",
        report_id, case_id, community_code, street_code, co_owner_code, resolve_by, status_notes,
    )


async def follow_case(
    conn: asyncpg.Connection,
    *,
    case_id: str,
    status_notes: str,
    status: str | None = None,
    community_code: str | None = None,
    street_code: str | None = None,
    co_owner_code: str | None = None,
) -> None:
    """Every report on a case learns its new status, owner and a note for people."""
    await conn.execute(
        "UPDATE reports SET status = coalesce($2, status), status_notes = $3, "
        "community_code = coalesce($4, community_code), street_code = coalesce($5, street_code), "
        "co_owner_code = $6, updated_at = now() WHERE case_id = $1::uuid",
        case_id, status, status_notes, community_code, street_code, co_owner_code,
    )


async def reports_of_case(conn: asyncpg.Connection, case_id: str) -> list[asyncpg.Record]:
    """Every report on a case (the one that opened it and each "me too")."""
    return await conn.fetch(
        "SELECT report_id, reporter_id, kind, category FROM reports WHERE case_id = $1::uuid",
        case_id,
    )
