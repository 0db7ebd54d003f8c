"""Reports in PostgreSQL, with their events written to the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

from services.reports.domain.report import Report
from services.reports.storage.group_commit import GroupCommit
from shared.events.envelope import OutgoingMessage
from shared.jsontext import dumps
from shared.postgres.outbox import channel_for

SCHEMA = "reports"

# Most reports one intake transaction holds (NUANXIN_REPORTS_INTAKE_MAX_BATCH). A request waits
# for the commit of its report's transaction, so what two writers hold at once must stay well
# below the requests a busy intake has in flight, or the server has nothing to do while they
# commit: at 128 two batches could hold all of the benchmark client's 256 connections, and the
# server stood at 0.80-0.86 of its core past its limit in one of two runs; at 64 it stays busy
# unless PostgreSQL takes longer over each batch (docs/guarantees.md, group commit). At 32 the
# per-batch work cost more than it saved.
INTAKE_MAX_BATCH = 64

# Reads go through the view report_state: each report (intake's row) with where its case stands
# (report_routes, from the case events; none before routing).
_COLUMNS = (
    "report_id, reporter_id, kind, category, severity, lon, lat, description, address, photos, "
    "reporter_hidden, status, submitted_at, case_id, community_code"
)


# Set-based insert of a batch of reports; photos travel as one JSON array per report (NULL: none),
# since unnest() would flatten a text[][] into single photos.
_INSERT_MANY = """
    INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat, description,
        address, photos, reporter_hidden, idempotency_key, status, submitted_at, updated_at, pairing_id)
    SELECT r.report_id, r.reporter_id, r.kind, r.category, r.severity, r.lon, r.lat, r.description,
        r.address,
        ARRAY(SELECT p.ref FROM jsonb_array_elements_text(r.photos::jsonb) WITH ORDINALITY AS p(ref, n)
              ORDER BY p.n),
        r.reporter_hidden,
        r.idempotency_key, r.status, r.submitted_at, r.submitted_at, r.pairing_id
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
        $7::float8[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[], $13::text[],
        $14::timestamptz[], $15::text[])
        AS r(report_id, reporter_id, kind, category, severity, lon, lat, description, address,
             photos, reporter_hidden, idempotency_key, status, submitted_at, pairing_id)
    ON CONFLICT (reporter_id, idempotency_key) DO NOTHING
    RETURNING report_id
"""

# The batch insert, then the outbox rows of the reports it inserted, in the order given (keyed
# batches come sorted by reporter and key: each report's events are its own key's), then
# pg_notify once if any was queued (delivered at commit, like enqueue's).
_INSERT_MANY_WITH_EVENTS = f"""
    WITH new AS ({_INSERT_MANY}),
    queued AS (
        INSERT INTO outbox (topic, key, headers, value)
        SELECT m.topic, m.key, m.headers::jsonb, m.value
        FROM unnest($16::uuid[], $17::text[], $18::bytea[], $19::text[], $20::bytea[])
            WITH ORDINALITY AS m(report_id, topic, key, headers, value, n)
        WHERE m.report_id IN (SELECT report_id FROM new)
        ORDER BY m.n
        RETURNING seq
    ),
    woken AS (SELECT pg_notify($21, '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued)
    SELECT (SELECT array_agg(report_id) FROM new) AS inserted, (SELECT count(*) FROM woken) AS woken
"""

_EXISTING = f"""
    SELECT {_COLUMNS}, idempotency_key FROM report_state
    WHERE (reporter_id, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
"""


@dataclass(frozen=True, eq=False)
class _Intake:
    """One report handed to intake, with its key and its event."""

    report: Report
    idempotency_key: str | None
    message: OutgoingMessage


def _columns(items: Sequence[_Intake]) -> list[list]:
    """The arguments of ``_INSERT_MANY``: one array per column."""
    reports = [item.report for item in items]
    return [
        [r.report_id for r in reports],
        [r.reporter_id for r in reports],
        [r.kind for r in reports],
        [r.category for r in reports],
        [r.severity for r in reports],
        [r.lon for r in reports],
        [r.lat for r in reports],
        [r.description for r in reports],
        [r.address for r in reports],
        [dumps(list(r.photos)) if r.photos else None for r in reports],
        [r.reporter_hidden for r in reports],
        [item.idempotency_key for item in items],
        [r.status for r in reports],
        [r.submitted_at for r in reports],
        [r.pairing_id for r in reports],
    ]


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
    """Stores reports; every write that emits an event commits it to the outbox too.

    Concurrent ``add`` calls share transactions (group commit): each call is answered after the
    transaction holding its report commits, exactly as if it had had one of its own.
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        max_batch: int = INTAKE_MAX_BATCH,
        linger_s: float = 0.002,
        crowd: int = 16,
    ) -> None:
        self._pool = pool
        # Reports that come one at a time wait up to linger_s for company: at 1,000/s that cut
        # intake's transactions by 60 %, and PostgreSQL's CPU for intake alone by half. A crowd
        # (16 waiting) goes at once, and only a crowd starts the second writer.
        self._intake: GroupCommit[_Intake, tuple[Report, bool]] = GroupCommit(
            self._add_many,
            max_batch=max_batch,
            linger_s=linger_s,
            crowd=min(crowd, max_batch),
            name="reports-intake",
        )

    @property
    def intake(self) -> GroupCommit[_Intake, tuple[Report, bool]]:
        """The intake writer (its ``commits`` counts transactions)."""
        return self._intake

    async def add(
        self, report: Report, *, idempotency_key: str | None, message: OutgoingMessage
    ) -> tuple[Report, bool]:
        """Insert the report and its event; a repeated idempotency key returns the first report."""
        return await self._intake.submit(_Intake(report, idempotency_key, message))

    async def close(self, timeout: float = 5.0) -> None:
        """Commit the reports already handed in, then stop (before the pool closes)."""
        await self._intake.close(timeout)

    async def _add_many(self, items: Sequence[_Intake]) -> list[tuple[Report, bool]]:
        """One transaction: insert the new reports, find the replayed ones, outbox the new ones."""
        # Within the batch the first of a (reporter, key) is inserted, the rest are its replays.
        first: dict[tuple[str, str], _Intake] = {}
        fresh = [
            item
            for item in items
            if item.idempotency_key is None
            or first.setdefault((item.report.reporter_id, item.idempotency_key), item) is item
        ]
        if first:
            # Two batches may commit at once (GroupCommit's writers): taking the (reporter, key)
            # index entries in one order keeps them from waiting on each other in a cycle.
            fresh.sort(key=lambda item: (item.report.reporter_id, item.idempotency_key or ""))
        # One statement, so one round trip and its own transaction: the reports, the outbox rows
        # of those inserted (a replay has none) and the relay's wake-up commit together.
        messages = [item.message for item in fresh]
        row = await self._pool.fetchrow(
            _INSERT_MANY_WITH_EVENTS,
            *_columns(fresh),
            [item.report.report_id for item in fresh],
            [m.topic for m in messages],
            [m.key for m in messages],
            [dumps({k: v.decode() for k, v in m.headers.items()}) for m in messages],
            [m.value for m in messages],
            channel_for(SCHEMA),
        )
        # report_id is always made by new_id(), so it is already in the form str(UUID) gives.
        inserted = {str(r) for r in row["inserted"] or ()}
        created = [item.report.report_id in inserted for item in items]
        replays = [item for item, new in zip(items, created, strict=True) if not new]
        existing: dict[tuple[str, str | None], Report] = {}
        if replays:
            # Committed already: by an earlier request, or by this very statement for a key
            # repeated within the batch (ON CONFLICT waits for a concurrent insert to commit).
            existing = {
                (r["reporter_id"], r["idempotency_key"]): _report(r)
                for r in await self._pool.fetch(
                    _EXISTING,
                    [item.report.reporter_id for item in replays],
                    [item.idempotency_key for item in replays],
                )
            }
        return [
            (item.report, True)
            if new
            else (existing[(item.report.reporter_id, item.idempotency_key)], False)
            for item, new in zip(items, created, strict=True)
        ]

    async def get(self, report_id: str) -> ReportRecord | None:
        """A report with where its case stands, or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS}, street_code, co_owner_code, status_notes FROM report_state "
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
            f"SELECT {_COLUMNS} FROM report_state WHERE reporter_id = $1 "
            "ORDER BY submitted_at DESC LIMIT $2",
            reporter_id,
            limit,
        )


# One narrow row a routed report (its key and two indexes) instead of a new version of the wide
# reports row (five indexes): migration 0006 and docs/architecture.md say what that saves.
_ROUTED = """
    INSERT INTO report_routes AS x (report_id, case_id, status, community_code, street_code,
        co_owner_code, resolve_by, status_notes, submitted_at, updated_at)
    SELECT u.report_id, u.case_id, 'routed', u.community_code, u.street_code, u.co_owner_code,
        u.resolve_by, u.status_notes, r.submitted_at, now()
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
        $7::text[])
        AS u(report_id, case_id, community_code, street_code, co_owner_code, resolve_by, status_notes)
    JOIN reports AS r ON r.report_id = u.report_id
    ON CONFLICT (report_id) DO UPDATE SET case_id = excluded.case_id, status = excluded.status,
        community_code = excluded.community_code, street_code = excluded.street_code,
        co_owner_code = excluded.co_owner_code, resolve_by = coalesce(excluded.resolve_by, x.resolve_by),
        status_notes = excluded.status_notes, updated_at = excluded.updated_at
"""


@dataclass(frozen=True)
class Routed:
    """A report is on a case now, owned by these units."""

    report_id: str
    case_id: str
    community_code: str | None
    street_code: str | None = None
    co_owner_code: str | None = None
    resolve_by: datetime | None = None
    status_notes: str | None = None


async def mark_routed(conn: asyncpg.Connection, routed: Sequence[Routed]) -> None:
    """Record that reports are on a case and who owns them: one statement for all of them.

    The same as applying the items one by one, in order: a later item for the same report
    overwrites an earlier one, and a resolve deadline is kept unless a later item brings another.
    A report this service does not hold is left out, as an update would find no row.
    """
    latest: dict[str, Routed] = {}
    for item in routed:
        earlier = latest.pop(item.report_id, None)
        if earlier is not None and item.resolve_by is None:
            item = replace(item, resolve_by=earlier.resolve_by)
        latest[item.report_id] = item
    if not latest:
        return
    rows = list(latest.values())
    await conn.execute(
        _ROUTED,
        [x.report_id for x in rows],
        [x.case_id for x in rows],
        [x.community_code for x in rows],
        [x.street_code for x in rows],
        [x.co_owner_code for x in rows],
        [x.resolve_by for x in rows],
        [x.status_notes for x in rows],
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
        "UPDATE report_routes SET status = coalesce($2, status), status_notes = $3, "
        "community_code = coalesce($4, community_code), street_code = coalesce($5, street_code), "
        "co_owner_code = $6, updated_at = now() WHERE case_id = $1::uuid",
        case_id,
        status,
        status_notes,
        community_code,
        street_code,
        co_owner_code,
    )


async def reports_of_case(conn: asyncpg.Connection, case_id: str) -> list[asyncpg.Record]:
    """Every report on a case (the one that opened it and each "me too")."""
    return await conn.fetch(
        "SELECT report_id, reporter_id, kind, category FROM report_state WHERE case_id = $1::uuid",
        case_id,
    )
