"""The SLA clock dies past its deadlines: every escalation still happens, and only once per (case, level).

Deadlines are durable rows; the test makes them due by moving `due_at` into the past while routing
is down (the processes run on the system clock), then SIGKILLs routing as soon as its scheduler is
seen firing, several times, and finally lets it finish.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict

import pytest

from tests.faults.harness import (
    LONG,
    SEED,
    Publisher,
    header,
    read_topic,
    report_events,
    wait_for_effects,
    wait_until,
)

pytestmark = pytest.mark.faults

LEVELS = (1, 2)  # street, district: the escalation rungs of every case here


async def test_sla_scheduler_killed_past_deadlines_escalates_exactly_once(deployment, figures):
    rng = random.Random(SEED + 5)
    n_cases, n_kills = (1000, 8) if LONG else (150, 2)
    routing, due = await _cases_overdue_while_routing_is_down(deployment, rng, n_cases)

    async def fired() -> int:
        return (await deployment.sql(
            "SELECT count(*) AS n FROM routing.deadlines WHERE fired_at IS NOT NULL"))[0]["n"]

    kills = [{"moment": "before the deadlines were due", "fired_before": 0}]
    for _ in range(n_kills):
        before = await fired()
        routing.spawn()
        # Kill it while it ticks: as soon as its first transaction is seen, plus a little.
        seen = await wait_until(lambda b=before: _more(fired, b), timeout=60, interval=0.02)
        await asyncio.sleep(rng.uniform(0.0, 0.15))
        routing.kill()
        kills.append({"moment": "while ticking", "fired_before": before, "fired_at_kill": await fired(),
                      "seen_ticking": seen})
        if await fired() == due:
            break
    await routing.start()

    async def finished() -> bool:
        rows = await deployment.sql(
            "SELECT (SELECT count(*) FROM routing.deadlines WHERE fired_at IS NULL) AS pending,"
            " (SELECT count(*) FROM routing.outbox) AS outbox")
        return rows[0]["pending"] == 0 and rows[0]["outbox"] == 0

    assert await wait_until(finished, timeout=60), "every deadline fired and was published"
    escalations = await deployment.sql(
        "SELECT case_id::text AS c, level, count(*) AS n FROM routing.escalations GROUP BY 1, 2")
    cases = {r["c"] for r in await deployment.sql("SELECT case_id::text AS c FROM routing.cases")}

    wanted = {(c, level) for c in cases for level in LEVELS}
    records: list = []

    async def all_on_topic() -> bool:
        records[:] = await read_topic(deployment.settings, "cases")
        got = {(json.loads(r.value)["case_id"], json.loads(r.value)["level"]) for r in records
               if header(r, "ce_type") == "nuanxin.case.escalated.v1"}
        return got >= wanted

    await wait_until(all_on_topic, timeout=30, interval=1.0)
    escalated_ids: dict[tuple, set] = defaultdict(set)
    breached_ids: dict[tuple, set] = defaultdict(set)
    raw_escalated = 0
    for r in records:
        body = json.loads(r.value)
        if header(r, "ce_type") == "nuanxin.case.escalated.v1":
            raw_escalated += 1
            escalated_ids[(body["case_id"], body["level"])].add(header(r, "ce_id"))
        elif header(r, "ce_type") == "nuanxin.case.sla_breached.v1":
            breached_ids[(body["case_id"], body["deadline"])].add(header(r, "ce_id"))

    rows = {(r["c"], r["level"]): r["n"] for r in escalations}
    missing_rows = len(wanted - rows.keys())
    doubled_rows = sum(1 for n in rows.values() if n > 1)
    missing_events = len(wanted - escalated_ids.keys())
    doubled_events = sum(1 for ids in escalated_ids.values() if len(ids) > 1)
    breaches_doubled = sum(1 for ids in breached_ids.values() if len(ids) > 1)
    ack_doubled = sum(1 for (_, d), ids in breached_ids.items() if d == "acknowledge" and len(ids) > 1)
    figures.update(
        reports_driven=n_cases, cases=len(cases), faults_injected=len(kills), kills=kills,
        deadlines_due=due, escalation_rows=len(rows), escalated_events_distinct=len(escalated_ids),
        escalated_records_on_topic=raw_escalated, sla_breaches_distinct=len(breached_ids),
        lost=missing_rows + missing_events + (2 * n_cases - len(breached_ids)),
        duplicated=doubled_rows + doubled_events + ack_doubled,
        # Not caused by the kills: see test_a_case_overdue_on_both_rungs_reports_one_resolve_breach.
        resolve_breaches_doubled=breaches_doubled - ack_doubled,
    )
    assert len(cases) == n_cases
    assert any(k.get("seen_ticking") for k in kills), "a kill landed while the scheduler was ticking"
    assert missing_rows == 0 and doubled_rows == 0, figures
    assert missing_events == 0 and doubled_events == 0, "one CaseEscalated event id per (case, level)"
    # Every case's acknowledge and resolve breaches were reported; the acknowledge one once.
    assert len(breached_ids) == 2 * n_cases and ack_doubled == 0


async def test_a_case_overdue_on_both_rungs_reports_one_resolve_breach(deployment, figures):
    # No kill here: routing is simply down (or slow) past both rungs of a case, then catches up.
    rng = random.Random(SEED + 6)
    n_cases = 20
    routing, due = await _cases_overdue_while_routing_is_down(deployment, rng, n_cases)
    await routing.start()
    resolve: dict[str, set] = defaultdict(set)

    async def all_published() -> bool:
        resolve.clear()
        for r in await read_topic(deployment.settings, "cases"):
            body = json.loads(r.value)
            if header(r, "ce_type") == "nuanxin.case.sla_breached.v1" and body["deadline"] == "resolve":
                resolve[body["case_id"]].add(header(r, "ce_id"))
        return len(resolve) == n_cases

    await wait_until(all_published, timeout=30, interval=1.0)
    doubled = sum(1 for ids in resolve.values() if len(ids) > 1)
    figures.update(reports_driven=n_cases, faults_injected=0, deadlines_due=due,
                   cases_with_resolve_breach=len(resolve), lost=n_cases - len(resolve), duplicated=doubled)
    assert len(resolve) == n_cases
    assert doubled == 0, f"{doubled} of {n_cases} cases reported their resolve breach twice"


async def _cases_overdue_while_routing_is_down(deployment, rng, n_cases):
    """n urgent cases, then routing SIGKILLed and all their deadlines moved into the past."""
    routing = deployment.service(
        "routing", NUANXIN_ROUTING_SCHEDULER_BATCH_SIZE="10", NUANXIN_ROUTING_SCHEDULER_INTERVAL_S="0.2",
    )
    await routing.start()
    events = [e.model_copy(update={"kind": "elderly_checkin", "category": "needs_help", "severity": "urgent"})
              for e in report_events(n_cases, rng)]
    async with Publisher(deployment.settings) as publisher:
        await publisher.events(events)
    await wait_for_effects(deployment, [e.report_id for e in events], timeout=60, with_feed=False)
    # Killed before the deadlines come due; they pass while routing is down.
    routing.kill()
    await deployment.sql("UPDATE routing.deadlines SET due_at = now() - interval '1 minute' "
                         "WHERE fired_at IS NULL")
    due = (await deployment.sql("SELECT count(*) AS n FROM routing.deadlines WHERE fired_at IS NULL"))[0]["n"]
    assert due == 3 * n_cases  # acknowledge, street, district
    return routing, due


async def _more(count, before: int) -> bool:
    return await count() > before
