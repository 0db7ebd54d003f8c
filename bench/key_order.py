"""What the order of ids costs PostgreSQL: `python -m bench.key_order`.

Starts a fresh embedded PostgreSQL and writes ``--reports`` reports the way the pipeline does, in
batches of ``--batch``: intake's insert; routing's inbox, case and three deadlines; reports' inbox
and the update that marks each report routed. Tables and indexes are cut-down copies of the
services' own (`reports`, `cases`, `deadlines`, `inbox`, with the indexes those statements
maintain), twice: in schema ``v4`` with random version-4 UUIDs (``str(uuid.uuid4())``) and in
schema ``v7`` with time-ordered version-7 ones (``shared.ids.new_id``). Each batch is written to
both, in turns (which goes first alternates), so a machine whose speed drifts slows both alike;
a checkpoint every 50,000 reports, as a loaded server would have. Prints, per kind of id, the
time its statements took (the client waiting for them, round trips included, the same for both)
and the WAL they wrote, per report. No assertion: it measures.

``--compare keys`` writes version-7 ids to both schemas instead, and gives the reports of schema
``keyed`` an ``Idempotency-Key`` each (a random UUID, as the rider app sends) where those of schema
``unkeyed`` have none: what the unique (reporter, key) index costs when every report has a key.

``--compare routes`` writes version-7 ids to both and marks the reports routed two ways: schema
``wide`` updates each report's row (its case and community, indexed there), as intake's case
follower did before migration 0006; schema ``narrow`` has no such columns in ``reports`` and
inserts a row into ``report_routes`` instead, as the follower does now.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg

from nuanxin.embedded import EmbeddedPostgres, free_port
from shared.ids import new_id

MAKERS: dict[str, Callable[[], str]] = {"v4": lambda: str(uuid.uuid4()), "v7": new_id}
# --compare keys: the same ids on both sides; the reports of "keyed" carry idempotency keys.
KEYED: dict[str, Callable[[], str]] = {"unkeyed": new_id, "keyed": new_id}

# --compare routes: what makes the two schemas differ; every other comparison writes "wide" ones.
ROUTES: dict[str, Callable[[], str]] = {"wide": new_id, "narrow": new_id}

REPORTS = {
    "wide": """
CREATE TABLE reports (
    report_id uuid PRIMARY KEY, reporter_id text NOT NULL, kind text NOT NULL, category text NOT NULL,
    lon float8 NOT NULL, lat float8 NOT NULL, description text NOT NULL, idempotency_key text,
    status text NOT NULL, case_id uuid, community_code text, submitted_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL, UNIQUE (reporter_id, idempotency_key));
CREATE INDEX reports_by_reporter ON reports (reporter_id, submitted_at DESC);
CREATE INDEX reports_by_community ON reports (community_code, submitted_at DESC);
CREATE INDEX reports_by_case ON reports (case_id);
""",
    "narrow": """
CREATE TABLE reports (
    report_id uuid PRIMARY KEY, reporter_id text NOT NULL, kind text NOT NULL, category text NOT NULL,
    lon float8 NOT NULL, lat float8 NOT NULL, description text NOT NULL, idempotency_key text,
    status text NOT NULL, submitted_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
    UNIQUE (reporter_id, idempotency_key));
CREATE INDEX reports_by_reporter ON reports (reporter_id, submitted_at DESC);
CREATE TABLE report_routes (
    report_id uuid PRIMARY KEY, case_id uuid NOT NULL, status text NOT NULL, community_code text,
    submitted_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX report_routes_by_case ON report_routes (case_id);
CREATE INDEX report_routes_by_community ON report_routes (community_code, submitted_at DESC);
""",
}

SCHEMA = """
CREATE SCHEMA {s};
SET search_path = {s};
{reports}
CREATE TABLE cases (
    case_id uuid PRIMARY KEY, report_id uuid NOT NULL UNIQUE, community_code text, status text NOT NULL,
    opened_at timestamptz NOT NULL);
CREATE INDEX cases_by_community ON cases (community_code, status);
CREATE TABLE deadlines (
    case_id uuid NOT NULL REFERENCES cases (case_id), kind text NOT NULL, level int NOT NULL,
    due_at timestamptz NOT NULL, fired_at timestamptz, PRIMARY KEY (case_id, kind, level));
CREATE INDEX deadlines_due ON deadlines (due_at) WHERE fired_at IS NULL;
CREATE TABLE inbox (consumer text NOT NULL, event_id text NOT NULL, PRIMARY KEY (consumer, event_id));
RESET search_path;
"""

SUBMIT = """
INSERT INTO {s}.reports (report_id, reporter_id, kind, category, lon, lat, description, status,
                     submitted_at, updated_at, idempotency_key)
SELECT r, who, 'hazard', 'road_damage', 106.6, 29.7, 'bench', 'submitted', now(), now(), k
FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(r, who, k)
"""
INBOX = "INSERT INTO {s}.inbox (consumer, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING"
OPEN = """
INSERT INTO {s}.cases (case_id, report_id, community_code, status, opened_at)
SELECT c, r, '500112' || lpad((random() * 400)::int::text, 6, '0'), 'open', now()
FROM unnest($1::uuid[], $2::uuid[]) AS t(c, r)
"""
DEADLINES = """
INSERT INTO {s}.deadlines (case_id, kind, level, due_at)
SELECT c, k, l, now() + interval '1 day' * l
FROM unnest($1::uuid[]) AS c, (VALUES ('acknowledge', 0), ('escalate', 1), ('escalate', 2)) AS v(k, l)
"""
ROUTED = """
UPDATE {s}.reports AS r SET status = 'routed', case_id = u.c, community_code = x.community_code,
       updated_at = now()
FROM unnest($1::uuid[], $2::uuid[]) AS u(r, c) JOIN {s}.cases AS x ON x.case_id = u.c
WHERE r.report_id = u.r
"""
ROUTED_NARROW = """
INSERT INTO {s}.report_routes AS y (report_id, case_id, status, community_code, submitted_at, updated_at)
SELECT u.r, u.c, 'routed', x.community_code, r.submitted_at, now()
FROM unnest($1::uuid[], $2::uuid[]) AS u(r, c) JOIN {s}.cases AS x ON x.case_id = u.c
JOIN {s}.reports AS r ON r.report_id = u.r
ON CONFLICT (report_id) DO UPDATE SET case_id = excluded.case_id, status = excluded.status,
    community_code = excluded.community_code, updated_at = excluded.updated_at
"""


async def _write_batch(
    conn: asyncpg.Connection, schema: str, make: Callable[[], str], riders: list[str]
) -> tuple[float, float]:
    """One batch of the pipeline's writes into ``schema``: the seconds they took, the WAL bytes."""
    n = len(riders)
    report_ids, case_ids = [make() for _ in range(n)], [make() for _ in range(n)]
    routing_events, case_events = [make() for _ in range(n)], [make() for _ in range(n)]
    keys = [str(uuid.uuid4()) for _ in range(n)] if schema == "keyed" else [None] * n
    lsn = await conn.fetchval("SELECT pg_current_wal_insert_lsn()")
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(SUBMIT.format(s=schema), report_ids, riders, keys)
    async with conn.transaction():
        await conn.execute(INBOX.format(s=schema), "routing", routing_events)
        await conn.execute(OPEN.format(s=schema), case_ids, report_ids)
        await conn.execute(DEADLINES.format(s=schema), case_ids)
    async with conn.transaction():
        await conn.execute(INBOX.format(s=schema), "reports", case_events)
        routed = ROUTED_NARROW if schema == "narrow" else ROUTED
        await conn.execute(routed.format(s=schema), report_ids, case_ids)
    waited = time.perf_counter() - started
    wal = await conn.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)", lsn)
    return waited, float(wal)


async def measure(
    reports: int, batch: int, makers: dict[str, Callable[[], str]] = MAKERS, riders_n: int = 50
) -> dict[str, dict]:
    """Both schemas, batch by batch in turns, on one fresh server; per report costs of each."""
    data = Path(tempfile.mkdtemp(prefix="nuanxin-key-order-"))
    server = EmbeddedPostgres(data, port=free_port())
    conn = await asyncpg.connect(server.start())
    try:
        for schema in makers:
            await conn.execute(SCHEMA.format(s=schema, reports=REPORTS.get(schema, REPORTS["wide"])))
        await conn.execute("CHECKPOINT")
        waited, wal = dict.fromkeys(makers, 0.0), dict.fromkeys(makers, 0.0)
        rnd = random.Random(7)
        riders = [f"rider-{n}" for n in range(riders_n)]
        for done in range(0, reports, batch):
            who = [rnd.choice(riders) for _ in range(batch)]
            turn = list(makers.items()) if (done // batch) % 2 == 0 else list(makers.items())[::-1]
            for schema, make in turn:
                seconds, written = await _write_batch(conn, schema, make, who)
                waited[schema] += seconds
                wal[schema] += written
            if done and done % 50_000 == 0:
                await conn.execute("CHECKPOINT")
                print(f"{done:,} of {reports:,} reports", flush=True)
    finally:
        await conn.close()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)  # a full run leaves hundreds of megabytes
    return {
        schema: {
            "ms_per_report": waited[schema] * 1000 / reports,
            "wal_kb_per_report": wal[schema] / reports / 1024,
        }
        for schema in makers
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.key_order", description=__doc__.splitlines()[0])
    p.add_argument("--reports", type=int, default=300_000, help="reports written with each kind of id")
    p.add_argument("--batch", type=int, default=50, help="reports per statement, as in a busy batch")
    p.add_argument(
        "--compare",
        choices=("ids", "keys", "routes"),
        default="ids",
        help="ids: random (v4) against time-ordered (v7) ids; keys: reports with and without keys; "
        "routes: marking reports routed by updating their rows against inserting narrow ones",
    )
    p.add_argument("--riders", type=int, default=50, help="distinct reporters the reports come from")
    a = p.parse_args(argv)
    makers = {"ids": MAKERS, "keys": KEYED, "routes": ROUTES}[a.compare]
    for schema, row in asyncio.run(measure(a.reports, a.batch, makers, a.riders)).items():
        print(f"{schema}: {row['ms_per_report']:.3f} ms, {row['wal_kb_per_report']:.2f} KB of WAL a report")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
