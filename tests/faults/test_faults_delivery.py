"""Every event twice, and messages that can never be applied: one effect each, dead letters, flow on."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import UTC, datetime

import pytest

from shared.events.envelope import encode
from shared.events.reports import ReportSubmittedV1
from tests.faults.harness import (
    SEED,
    Publisher,
    header,
    read_topic,
    report_events,
    tally,
    wait_for_effects,
    wait_until,
)

pytestmark = pytest.mark.faults


async def test_every_event_delivered_twice_has_one_effect(deployment, figures):
    rng = random.Random(SEED + 3)
    n_reports, n_new_ids = 200, 50
    procs = await deployment.start("routing", "notify")
    events = report_events(n_reports, rng)
    async with Publisher(deployment.settings) as publisher:
        messages = [encode(e, source="/faults") for e in events]
        # Each record once, then every one again with the same event id, in another order ...
        for i in range(0, n_reports, 20):
            await asyncio.gather(*(publisher.send(m) for m in messages[i:i + 20]))
        again = messages[:]
        rng.shuffle(again)
        for i in range(0, n_reports, 20):
            await asyncio.gather(*(publisher.send(m) for m in again[i:i + 20]))
        # ... and some reports published anew under new event ids (a producer that lost track).
        republished = await publisher.events(rng.sample(events, n_new_ids))
    report_ids = [e.report_id for e in events]
    await wait_for_effects(deployment, report_ids, timeout=60)

    async def settled() -> bool:
        h = (await procs["routing"].health())["services"]["routing"]["consumers"]
        return sum(c["applied"] + c["duplicates"] for c in h.values()) >= 2 * n_reports + n_new_ids

    await wait_until(settled, timeout=30)
    routing = (await procs["routing"].health())["services"]["routing"]["consumers"]
    result = await tally(deployment, report_ids, with_topic=True)
    inbox = (await deployment.sql("SELECT count(*) AS n FROM routing.inbox"))[0]["n"]
    figures.update(result.as_dict())
    figures.update(
        faults_injected=n_reports + len(republished), published_records=2 * n_reports + len(republished),
        same_id_duplicates=n_reports, new_id_republications=len(republished),
        routing_inbox_rows=inbox, routing_consumer=routing,
    )
    assert result.lost == 0, result
    assert result.duplicated == 0, result
    assert result.stray == 0, result
    assert result.cases == n_reports
    assert inbox == n_reports + n_new_ids, "one inbox row per distinct event id"
    assert sum(c["duplicates"] for c in routing.values()) >= n_reports


def _bad_records(rng: random.Random) -> list[dict]:
    """Records routing can never apply, each with a label and how it should be dead-lettered."""
    good = ReportSubmittedV1(
        report_id=str(uuid.uuid4()), kind="hazard", category="road_damage", severity="medium",
        lon=106.6, lat=29.7, reporter_id="w-bad", submitted_at=datetime.now(UTC),
    )
    valid = encode(good, source="/faults")
    ce = dict(valid.headers)

    def with_headers(**changes: bytes | None) -> list[tuple[str, bytes]]:
        h = {**ce, "ce_id": str(uuid.uuid4()).encode(), **changes}
        return [(k, v) for k, v in h.items() if v is not None]

    body = json.loads(valid.value)
    invalid_body = {**body, "lat": 999, "severity": "apocalyptic"}
    missing_fields = {k: v for k, v in body.items() if k not in ("report_id", "kind")}
    not_a_uuid = encode(good.model_copy(update={"report_id": f"not-a-uuid-{rng.randrange(10**6)}"}),
                        source="/faults")
    poison = "PoisonMessage"
    return [
        _bad("garbage bytes, no headers", b"\x00\xffnot an event", [], 1, poison),
        _bad("JSON but not a CloudEvent", json.dumps(body).encode(), [], 1, poison),
        _bad("tombstone (no value)", None, with_headers(), 1, poison),
        _bad("CloudEvent with a body that is not JSON", b"{not json", with_headers(), 1, poison),
        _bad("unknown event type", valid.value, with_headers(ce_type=b"nuanxin.report.gone.v9"), 1, poison),
        _bad("wrong CloudEvents version", valid.value, with_headers(ce_specversion=b"0.3"), 1, poison),
        _bad("schema-invalid body (lat 999, unknown severity)", json.dumps(invalid_body).encode(),
             with_headers(), 1, poison),
        _bad("schema-invalid body (required fields missing)", json.dumps(missing_fields).encode(),
             with_headers(), 1, poison),
        _bad("always fails in routing: report_id is not a UUID (valid to the event schema, refused by "
             "asyncpg's uuid encoding on every attempt)", not_a_uuid.value, list(not_a_uuid.headers.items()),
             3, "DataError"),
    ]


def _bad(label: str, value: bytes | None, headers: list, attempts: int, error: str) -> dict:
    return {"label": label, "value": value, "headers": headers, "attempts": attempts, "error": error}


async def test_poison_and_always_failing_messages_are_dead_lettered_and_the_stream_flows(deployment, figures):
    rng = random.Random(SEED + 4)
    procs = await deployment.start("routing")
    before, after = report_events(60, rng), report_events(60, rng)
    # Valid reports at the edges of what the schema allows must still be routed (to triage).
    edges = [
        ReportSubmittedV1(report_id=str(uuid.uuid4()), kind="hazard", category="road_damage", severity="low",
                          lon=lon, lat=lat, reporter_id="w-edge", submitted_at=datetime.now(UTC))
        for lon, lat in ((180.0, 90.0), (-180.0, -90.0), (0.0, 0.0), (106.6, -90.0))
    ]
    bad = _bad_records(rng)
    marker = {}
    async with Publisher(deployment.settings) as publisher:
        await publisher.events(before)
        for i, record in enumerate(bad):
            key = f"bad-{i}".encode()
            marker[key] = record
            await publisher.send_raw("reports", record["value"], key, record["headers"])
        await publisher.events(edges)
        await publisher.events(after)

    valid = [e.report_id for e in before + edges + after]
    result = await wait_for_effects(deployment, valid, timeout=60, with_feed=False)
    dead: list = []

    async def all_dead() -> bool:
        dead[:] = await read_topic(deployment.settings, "reports.dlq")
        return {r.key for r in dead} >= set(marker)

    await wait_until(all_dead, timeout=60, interval=1.0)
    found = {}
    for record in dead:
        if record.key in marker:
            found.setdefault(record.key, []).append(record)
    rows = []
    for key, spec in marker.items():
        copies = found.get(key, [])
        first = copies[0] if copies else None
        rows.append({
            "label": spec["label"], "dead_lettered": len(copies),
            "dlq_attempts": header(first, "dlq_attempts") if first else None,
            "dlq_error_type": header(first, "dlq_error_type") if first else None,
            "dlq_consumer": header(first, "dlq_consumer") if first else None,
            "expected_attempts": spec["attempts"],
        })
    health = (await procs["routing"].health())["services"]["routing"]
    figures.update(result.as_dict())
    figures.update(faults_injected=len(bad), reports_driven=len(valid), dead_letters=rows,
                   dlq_records=len(dead), routing_dead_letters=health["dead_letters"],
                   lost=result.lost + sum(1 for r in rows if not r["dead_lettered"]))
    assert result.lost == 0 and result.duplicated == 0 and result.stray == 0, result
    for row, spec in zip(rows, marker.values(), strict=True):
        assert row["dead_lettered"] >= 1, f"not dead-lettered: {row['label']}"
        assert row["dlq_attempts"] == str(spec["attempts"]), row
        assert int(row["dlq_attempts"]) <= 3, "within NUANXIN_CONSUMER_MAX_ATTEMPTS"
        assert row["dlq_error_type"] == spec["error"], row
    # The dead letters keep what is needed to replay them: the original headers and offsets.
    assert all(header(r, "dlq_original_topic") == deployment.settings.topic("reports") for r in dead)
