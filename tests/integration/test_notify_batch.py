"""Notify's batch path on the real PostgreSQL: a Kafka batch costs a fixed set of statements, same rules."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka.structs import ConsumerRecord

from services.notify.storage.postgres import CHANNEL
from shared.clock import ManualClock
from shared.events.base import EventBody
from shared.events.envelope import encode
from shared.events.wishes import WishThankedV1
from shared.kafka.consumer import EventConsumer, TracedEvent
from tests.integration.test_notify import NOW, A, B, moved, opened
from tests.support.system import run_system

pytestmark = pytest.mark.integration
PHONE = "13800000000"
INTROSPECTION = ("WITH RECURSIVE typeinfo_tree", "SELECT current_setting('jit')", "SELECT set_config('jit'")
QUIET_END = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 in Chongqing, NOW being 10:00


def record(body: EventBody, event_id: str, offset: int) -> ConsumerRecord:
    """The Kafka record the relay would have produced for an event."""
    m = encode(body, source="/test", event_id=event_id)
    return ConsumerRecord(
        topic=m.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=m.key,
        value=m.value,
        checksum=None,
        serialized_key_size=len(m.key),
        serialized_value_size=len(m.value),
        headers=list(m.headers.items()),
    )


class Spy:
    """Wraps the batch function: what each call got, and how many statements it issued."""

    def __init__(self, apply_batch) -> None:
        self.apply_batch = apply_batch
        self.calls: list[list[TracedEvent]] = []
        self.statements: list[list[str]] = []

    async def __call__(self, conn, traced) -> None:
        queries: list[str] = []

        def logger(query) -> None:
            queries.append(query.query)

        conn.add_query_logger(logger)
        try:
            await self.apply_batch(conn, traced)
        finally:
            conn.remove_query_logger(logger)
        self.calls.append(list(traced))
        self.statements.append(queries)  # filled as the loop runs the logger (call_soon)

    def counts(self) -> list[int]:
        """Statements per call, leaving out asyncpg's one-off type introspection on a connection."""
        return [
            sum(not " ".join(q.split()).startswith(INTROSPECTION) for q in call) for call in self.statements
        ]


async def rows(conn: asyncpg.Connection) -> dict[str, list[tuple]]:
    """Everything the case events wrote, in the order streams read it."""
    return {
        "feed": [
            tuple(r)
            for r in await conn.fetch("SELECT event_id, event_type, trace_id, payload FROM feed ORDER BY seq")
        ],
        "notes": [
            tuple(r)
            for r in await conn.fetch(
                # The body as an inbox reads it, and whether the row holds a copy of its own.
                "SELECT n.event_id, n.recipient, n.reason, n.event_type, n.title, n.urgent, "
                "coalesce(n.payload, f.payload), n.payload IS NOT NULL "
                "FROM notifications n LEFT JOIN feed f ON f.event_id = n.event_id ORDER BY n.id"
            )
        ],
        "sends": [
            tuple(r)
            for r in await conn.fetch(
                "SELECT n.event_id, n.recipient, d.channel, d.target, d.next_attempt_at FROM deliveries d "
                "JOIN notifications n ON n.id = d.notification_id ORDER BY d.delivery_id"
            )
        ],
    }


async def test_a_batch_records_in_order_once_each_with_the_same_rules(settings):
    first = opened(co_owner=B, reporter="w-1")
    urgent = opened(
        co_owner=B, reporter="w-2", kind="elderly_checkin", category="no_answer", severity="urgent"
    )
    thanks = WishThankedV1(
        wish_id=str(uuid.uuid4()),
        community_code=A,
        claim_id="c",
        donor_id="w-9",
        message="谢谢",
        thanked_at=NOW,
    )
    # Event ids sort against batch order, so an order taken from ids instead of the batch shows.
    batch = [
        (first, "evt-6"),
        (moved(first, "acknowledge", "acknowledged"), "evt-5"),
        (thanks, "evt-4"),
        (urgent, "evt-3"),
        (opened(community=None, reporter=None), "evt-2"),
        (first, "evt-6"),
    ]
    records = [record(body, event_id, offset) for offset, (body, event_id) in enumerate(batch)]
    overrides = {"notify": {"dispatch_interval_s": 3600}}  # no sends: the deliveries stay as queued
    async with run_system(settings, ["notify"], clock=ManualClock(NOW), overrides=overrides) as system:
        for token, prefs in (
            (
                system.token("c-a", "community_staff", community=A),
                {"kinds": ["case.transitioned"], "channels": ["sms"]},
            ),  # SMS, but no phone to send to
            (
                system.token("c-b", "community_staff", community=B),
                {
                    "kinds": ["case.opened"],
                    "channels": ["sms", "app_push"],
                    "phone": PHONE,
                    "quiet_start": "09:00",
                    "quiet_end": "11:00",
                },
            ),
        ):
            async with system.client(token) as c:
                assert (await c.put("/notify/preferences", json=prefs)).status_code == 200
        async with system.client(system.token("c-a", "community_staff", community=A)) as c:
            hooks = []
            for kinds in ([], ["case.escalated"]):
                r = await c.post("/notify/webhooks", json={"url": "http://127.0.0.1:9/", "kinds": kinds})
                assert r.status_code == 201, r.text
                hooks.append(r.json()["webhook_id"])
        every, escalations_only = hooks

        host = system.host("notify")
        runtime, record_case_event = host.runtime, host.factory().record
        spy = Spy(record_case_event.many)
        consumer = EventConsumer(
            name="notify",
            pool=runtime.pool,
            apply_batch=spy,
            dead_letters=runtime.dead_letters,
            tracer=runtime.tracer,
        )
        wakes: list[str] = []
        listener = await asyncpg.connect(settings.database_url)
        await listener.add_listener(CHANNEL, lambda *args: wakes.append(args[3]))
        try:
            await consumer.process(records)
            await asyncio.sleep(0.5)
            async with runtime.pool.acquire() as conn:
                once, seqs = await rows(conn), await conn.fetch("SELECT seq FROM feed ORDER BY seq")
            wakes_once = list(wakes)

            # The same batch again, past the inbox, with an event repeated inside it: nothing more.
            (traced,) = spy.calls
            async with runtime.pool.acquire() as conn, conn.transaction():
                await record_case_event.many(conn, [*traced, traced[0]])
            await consumer.process(records)  # and through the consumer: the inbox drops it all
            await asyncio.sleep(0.5)
            async with runtime.pool.acquire() as conn:
                twice = await rows(conn)
            wakes_twice = list(wakes)

            # A batch of one, through the consumer, costs what the batch of five did.
            await consumer.process([record(moved(urgent, "start", "in_progress"), "evt-1", 99)])
            # The per-event entry point is that same batch of one.
            single = next(t.event for t in spy.calls[1])
            later = replace(single, id="evt-0", body=moved(first, "start", "in_progress"))
            async with runtime.pool.acquire() as conn, conn.transaction():
                for event in (traced[0].event, traced[2].event, later):  # redelivered, not a case event
                    await record_case_event(conn, event)
            async with runtime.pool.acquire() as conn:
                after = await rows(conn)
        finally:
            await listener.close()

    assert [len(call) for call in spy.calls] == [5, 1], "one call per batch, never one by one"
    assert [t.event.id for t in spy.calls[0]] == ["evt-6", "evt-5", "evt-4", "evt-3", "evt-2"]
    assert spy.counts()[0] == spy.counts()[1] <= 7, "statements per batch, not per event"

    traces = {t.event.id: format(t.span.get_span_context().trace_id, "032x") for t in traced}
    assert [(f[0], f[1], f[2]) for f in once["feed"]] == [
        ("evt-6", "case.opened", traces["evt-6"]),
        ("evt-5", "case.transitioned", traces["evt-5"]),
        ("evt-3", "case.opened", traces["evt-3"]),
        ("evt-2", "case.opened", traces["evt-2"]),
    ], "feed order is batch order, each entry in its event's trace; the wish event is not a case event"
    assert len(set(traces.values())) == 5

    assert [n[:3] for n in once["notes"]] == [
        ("evt-6", f"community:{B}", "co-owner"),  # A wants transitions only
        ("evt-6", "worker:w-1", "reporter"),
        ("evt-5", f"community:{A}", "owner"),  # B wants openings only
        ("evt-5", "worker:w-1", "reporter"),
        ("evt-3", f"community:{A}", "owner"),  # urgent: past every preference
        ("evt-3", f"community:{B}", "co-owner"),
        ("evt-3", "worker:w-2", "reporter"),
        ("evt-2", "district", "triage"),
    ]
    titles = {(n[0], n[1]): (n[3], n[4], n[5]) for n in once["notes"]}
    assert titles["evt-6", "worker:w-1"] == (
        "case.opened",
        "新案件：road damage / New case: road_damage",
        False,
    )
    assert titles["evt-5", "worker:w-1"] == ("case.transitioned", "案件已受理 / Case acknowledged", False)
    assert titles["evt-3", f"community:{B}"] == (
        "case.opened",
        "新案件：敲门无应答 / New case: no_answer",
        True,
    )
    for payload in [n[6] for n in once["notes"]] + [f[3] for f in once["feed"]]:
        assert "reporter_inbox" not in payload and payload["case_id"]
    assert not any(n[7] for n in once["notes"]), "a case event's body is stored once, in the feed"

    assert once["sends"] == [
        ("evt-6", f"community:{B}", "sms", PHONE, QUIET_END),  # quiet hours hold it
        ("evt-6", f"community:{B}", "app_push", PHONE, QUIET_END),
        ("evt-5", f"community:{A}", "webhook", every, NOW),  # the other hook wants escalations only
        ("evt-3", f"community:{A}", "webhook", every, NOW),  # urgent: every hook, no quiet hours
        ("evt-3", f"community:{A}", "webhook", escalations_only, NOW),
        ("evt-3", f"community:{B}", "sms", PHONE, NOW),
        ("evt-3", f"community:{B}", "app_push", PHONE, NOW),
    ]
    assert wakes_once == [str(seqs[-1]["seq"])], "one wake-up per batch, with the newest seq"

    assert twice == once, "a redelivered batch adds nothing"
    assert wakes_twice == wakes_once, "and wakes nobody"

    assert after["feed"][:4] == once["feed"] and [f[0] for f in after["feed"][4:]] == ["evt-1", "evt-0"]
    assert [n[:3] for n in after["notes"][8:]] == [
        ("evt-1", f"community:{A}", "owner"),
        ("evt-1", "worker:w-2", "reporter"),
        ("evt-0", f"community:{A}", "owner"),
        ("evt-0", "worker:w-1", "reporter"),
    ]
    assert after["sends"][7:] == [
        ("evt-1", f"community:{A}", "webhook", every, NOW),
        ("evt-0", f"community:{A}", "webhook", every, NOW),
    ]
