"""The SLA clock at scale: a million open deadlines, a handful due, time from due to event in the outbox."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from opentelemetry import trace

from services.routing.app.escalation import EscalationScheduler
from services.routing.geodata.hierarchy import load_hierarchy
from services.routing.main import SPEC
from services.routing.settings import RoutingSettings
from services.routing.storage.deadlines import DUE
from shared.clock import SystemClock
from shared.postgres.migrate import upgrade
from shared.postgres.pool import create_pool

CASE_COLUMNS = (
    "case_id",
    "report_id",
    "kind",
    "category",
    "severity",
    "community_code",
    "street_code",
    "lon",
    "lat",
    "reporter_id",
    "status",
    "opened_at",
    "acknowledge_by",
    "resolve_by",
)


def _scan_rows(plan: dict) -> tuple[int, int]:
    """Rows read by scan nodes (actual rows x loops, plus rows removed by filters), and node count."""
    rows = nodes = 0
    stack = [plan]
    while stack:
        node = stack.pop()
        nodes += 1
        if "Scan" in node.get("Node Type", ""):
            loops = node.get("Actual Loops", 1)
            rows += (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
        stack += node.get("Plans", [])
    return rows, nodes


async def bench_sla(
    database_url: str, *, deadlines: int, due: int, spread_s: float, idle_ticks: int = 20
) -> dict:
    """Migrate routing into a fresh database, COPY cases and deadlines, run the scheduler, measure."""
    out: dict = {"open_deadlines": deadlines, "due": due}
    await upgrade(database_url, schema="routing", script_location=SPEC.migrations)
    pool = await create_pool(database_url, schema="routing", max_size=4)
    try:
        hierarchy = load_hierarchy()
        now = datetime.now(UTC)
        version = hierarchy.in_force(now)
        communities = [u for u in version.units.values() if u.level == "community" and u.parent_code]
        rnd = random.Random(3)
        case_ids = [uuid.uuid4() for _ in range(deadlines)]

        def cases():
            for cid in case_ids:
                c = communities[rnd.randrange(len(communities))]
                opened = now - timedelta(minutes=rnd.randrange(1, 600))
                yield (
                    cid,
                    uuid.uuid4(),
                    "hazard",
                    "road_damage",
                    "medium",
                    c.code,
                    c.parent_code,
                    106.6 + rnd.random() * 0.3,
                    29.6 + rnd.random() * 0.4,
                    "w-bench",
                    "new",
                    opened,
                    opened + timedelta(hours=4),
                    opened + timedelta(days=3),
                )

        def timers():
            for cid in case_ids:
                yield (cid, "escalate", 1, now + timedelta(hours=1, seconds=rnd.randrange(30 * 86400)))

        async with pool.acquire() as conn:
            t0 = time.perf_counter()
            await conn.copy_records_to_table("cases", records=cases(), columns=CASE_COLUMNS)
            t1 = time.perf_counter()
            await conn.copy_records_to_table(
                "deadlines", records=timers(), columns=("case_id", "kind", "level", "due_at")
            )
            t2 = time.perf_counter()
            await conn.execute("ANALYZE cases; ANALYZE deadlines")
            out["copy"] = {
                "cases_s": t1 - t0,
                "deadlines_s": t2 - t1,
                "rows_per_s": 2 * deadlines / (t2 - t0),
            }
            open_count = await conn.fetchval("SELECT count(*) FROM deadlines WHERE fired_at IS NULL")
            out["open_deadlines_in_table"] = open_count

        batch = RoutingSettings().scheduler_batch_size
        scheduler = EscalationScheduler(
            pool=pool,
            clock=SystemClock(),
            hierarchy=hierarchy,
            tracer=trace.get_tracer("bench"),
            batch_size=batch,
        )
        interval = RoutingSettings().scheduler_interval_s
        out["scheduler_interval_s"] = interval

        # Idle ticks: nothing due, a million rows waiting. What does one look cost?
        idle = []
        for _ in range(idle_ticks):
            t = time.perf_counter()
            await scheduler.tick()
            idle.append((time.perf_counter() - t) * 1000)
        out["idle_tick_ms"] = {
            "p50": sorted(idle)[len(idle) // 2],
            "max": max(idle),
            "mean": sum(idle) / len(idle),
        }

        # A handful due over the next spread_s seconds, then the real run loop.
        picked = rnd.sample(case_ids, due)
        start = datetime.now(UTC) + timedelta(seconds=1)
        due_at = {
            cid: start + timedelta(seconds=spread_s * i / max(1, due - 1)) for i, cid in enumerate(picked)
        }
        async with pool.acquire() as conn:
            await conn.executemany(
                "UPDATE deadlines SET due_at = $2 WHERE case_id = $1 AND kind = 'escalate' AND level = 1",
                list(due_at.items()),
            )
            last_seq = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM outbox")
        seen: dict[str, float] = {}
        keys = {str(c): c for c in picked}
        task = asyncio.create_task(scheduler.run(interval))
        deadline = time.monotonic() + spread_s + 15
        try:
            async with pool.acquire() as conn:
                while len(seen) < due and time.monotonic() < deadline:
                    rows = await conn.fetch(
                        "SELECT seq, key, headers FROM outbox WHERE seq > $1 ORDER BY seq", last_seq
                    )
                    wall = time.time()
                    for r in rows:
                        last_seq = r["seq"]
                        key = bytes(r["key"]).decode()
                        ce_type = (r["headers"] or {}).get("ce_type", "")
                        if key in keys and key not in seen and "escalated" in json.dumps(ce_type):
                            seen[key] = wall
                    await asyncio.sleep(0.01)
        finally:
            task.cancel()
        lat = sorted((seen[k] - due_at[keys[k]].timestamp()) * 1000 for k in seen)
        out["escalation_latency_ms"] = {
            "n": len(lat),
            "missing": due - len(lat),
            "p50": lat[len(lat) // 2] if lat else None,
            "max": lat[-1] if lat else None,
            "all": lat,
        }

        # A tick that has work: a fresh handful due now.
        more = rnd.sample([c for c in case_ids if c not in due_at], due)
        async with pool.acquire() as conn:
            await conn.executemany(
                "UPDATE deadlines SET due_at = $2 WHERE case_id = $1 AND kind = 'escalate' AND level = 1",
                [(c, datetime.now(UTC) - timedelta(seconds=1)) for c in more],
            )
            async with conn.transaction():
                plan_json = await conn.fetchval(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + DUE,
                    datetime.now(UTC),
                    batch,
                )
                plan_text = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + DUE, datetime.now(UTC), batch)
            # The plan above ran with the handful due (its locks ended with that transaction).
            t = time.perf_counter()
            fired = await scheduler.tick()
            out["busy_tick"] = {"due": fired, "ms": (time.perf_counter() - t) * 1000}
        plan = (json.loads(plan_json) if isinstance(plan_json, str) else plan_json)[0]
        rows_scanned, nodes = _scan_rows(plan["Plan"])
        out["explain"] = {
            "execution_ms": plan.get("Execution Time"),
            "planning_ms": plan.get("Planning Time"),
            "rows_scanned": int(rows_scanned),
            "nodes": nodes,
            "text": "\n".join(r[0] for r in plan_text),
        }
        return out
    finally:
        await pool.close()
