"""The outbox relay on the real broker and PostgreSQL: keys keep their partition and order, one
relay per schema publishes at a time, relays taking turns publish each row once, and a lingering
relay gathers what is committed meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner

from shared.events import topics
from shared.events.envelope import encode
from shared.postgres.outbox import OutboxRelay, channel_for, enqueue
from tests.support.probe import SCHEMA, h_and_relay, harness, report

pytestmark = pytest.mark.integration


class _Abort(Exception):
    pass


async def test_enqueue_wakes_the_relay_when_its_transaction_commits_and_never_on_rollback(settings):
    async with harness(settings) as h:
        listener = await asyncpg.connect(settings.database_url)
        woken: asyncio.Queue[str] = asyncio.Queue()
        await listener.add_listener(
            channel_for(SCHEMA), lambda _conn, _pid, channel, _payload: woken.put_nowait(channel)
        )
        try:
            with pytest.raises(_Abort):
                async with h.pool.acquire() as conn, conn.transaction():
                    await enqueue(conn, SCHEMA, [encode(report("rolled back"), source="/test")])
                    raise _Abort
            kept = encode(report("kept"), source="/test")
            async with h.pool.acquire() as conn:
                async with conn.transaction():
                    await enqueue(conn, SCHEMA, [kept])
                    await asyncio.sleep(0.3)
                    assert woken.empty(), "no wake-up before the commit"
                assert await asyncio.wait_for(woken.get(), 5) == channel_for(SCHEMA)
            await asyncio.sleep(0.3)
            assert woken.empty(), "one wake-up: the rolled-back transaction sent none"
        finally:
            await listener.close()
        rows = await h.pool.fetch("SELECT headers->>'ce_id' AS id FROM outbox")
    assert [r["id"] for r in rows] == [kept.event_id]


async def test_the_relay_keeps_each_key_on_its_partition_and_in_order(settings):
    # Many records, several per key: the relay sends one record batch per partition; each key must
    # land where producer.send would put it, and in the order its events were committed.
    keys = [str(uuid.uuid4()) for _ in range(12)]
    messages = [encode(report(report_id=keys[i % len(keys)], description=f"n{i}"), source="/test")
                for i in range(240)]
    async with h_and_relay(settings) as (h, start_relay):
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, messages)
        await start_relay()
        await h.wait_for_effects(len(messages))
        partitions = sorted(await h.producer.partitions_for(settings.topic(topics.REPORTS)))
        got = await _read_all(settings, topics.REPORTS, "order-reader", len(messages))
    assert len(got) == len(messages)
    assert len({r.partition for r in got}) > 1, "the keys spread over partitions"
    for record in got:
        assert record.partition == DefaultPartitioner()(record.key, partitions, partitions)
    for key, order in _orders_by_key(got, messages, keys).items():
        assert order == sorted(order) and len(order) == 20, key


async def test_three_relays_of_a_schema_publish_each_row_once_and_in_order(settings):
    # Relays of one schema (instances of a service, or a relay process beside a service that relays
    # too) taking turns as fast as they can, a row a turn: the lock passes on at every commit while
    # the others keep asking for it. A relay that read its rows in the statement that took the lock
    # could read rows the relay before had deleted meanwhile and send them again. Every row goes
    # out once, each key's rows in order.
    keys = [str(uuid.uuid4()) for _ in range(12)]
    messages = [encode(report(report_id=keys[i % len(keys)], description=f"n{i}"), source="/test")
                for i in range(1200)]
    async with harness(settings) as h:
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, messages)
        relays = [
            OutboxRelay(pool=h.pool, database_url=settings.database_url, producer=h.producer,
                        schema=SCHEMA, topic_prefix=settings.namespace, batch_size=1)
            for _ in range(3)
        ]
        turns = [0] * len(relays)

        async def take_turns(i: int) -> None:
            while await h.pool.fetchval("SELECT count(*) FROM outbox"):
                turns[i] += await relays[i].publish_once() > 0

        await asyncio.gather(*(take_turns(i) for i in range(len(relays))))
        got = await _read_all(settings, topics.REPORTS, "relays-in-turn", len(messages))
    assert min(turns) > 100, f"every relay published, in turns: {turns}"
    sent = [dict(r.headers)["ce_id"].decode() for r in got]
    twice = [event for event, n in Counter(sent).items() if n > 1]
    assert not twice, f"{len(twice)} events published twice"
    assert sorted(sent) == sorted(m.event_id for m in messages)
    for key, order in _orders_by_key(got, messages, keys).items():
        assert order == sorted(order), key


def _orders_by_key(got: list, messages: list, keys: list[str]) -> dict[str, list[int]]:
    """For each key, the positions (in ``messages``) of its records in the order the topic holds them."""
    ids = {m.event_id: i for i, m in enumerate(messages)}
    return {
        key: [ids[dict(r.headers)["ce_id"].decode()]
              for r in sorted((r for r in got if r.key == key.encode()), key=lambda r: r.offset)]
        for key in keys
    }


async def _read_all(settings, topic: str, reader: str, expected: int) -> list:
    """Every record of the topic: until ``expected`` have come and 2 s more bring none (or 30 s)."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic), bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest", group_id=f"{settings.namespace}{reader}", fetch_max_wait_ms=20,
    )
    await consumer.start()
    got: list = []
    loop = asyncio.get_running_loop()
    try:
        deadline, quiet_until = loop.time() + 30, None
        while loop.time() < deadline:
            batch = [r for rs in (await consumer.getmany(timeout_ms=200)).values() for r in rs]
            got.extend(batch)
            if batch or len(got) < expected:
                quiet_until = loop.time() + 2
            elif quiet_until is not None and loop.time() >= quiet_until:
                break
    finally:
        await consumer.stop()
    return got


async def test_a_lingering_relay_publishes_at_once_after_a_quiet_spell_then_gathers(settings):
    # With a linger, a row committed after a quiet spell (longer than the linger since the last
    # publish) leaves at once; rows committed in separate transactions while the linger runs
    # leave together, in one publish, no sooner than it ends.
    linger = 2.0
    published: list[tuple[float, int]] = []
    loop = asyncio.get_running_loop()

    async def commit(message) -> None:
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, [message])

    async with h_and_relay(settings) as (h, start_relay):
        await start_relay(linger_s=linger, on_published=lambda n: published.append((loop.time(), n)))
        earlier = encode(report("earlier"), source="/test")
        await commit(earlier)
        await h.wait_for_effects(1)
        await asyncio.sleep(linger + 0.5)  # quiet for longer than the linger since that publish
        first = encode(report("first"), source="/test")
        committed = loop.time()
        await commit(first)
        await h.wait_for_effects(2)
        assert [n for _, n in published] == [1, 1]
        assert published[1][0] - committed < linger / 2, "no linger after a quiet spell"
        rest = [encode(report(f"n{i}"), source="/test") for i in range(5)]
        for message in rest:
            await commit(message)
            await asyncio.sleep(0.05)
        rows = await h.wait_for_effects(7)
    assert sorted(r["event_id"] for r in rows) == sorted(m.event_id for m in [earlier, first, *rest])
    assert [n for _, n in published] == [1, 1, 5], "the five commits left in one publish"
    assert published[2][0] - committed >= linger


async def test_only_one_relay_per_schema_publishes_at_a_time(settings):
    async with harness(settings) as h:
        relay = OutboxRelay(
            pool=h.pool, database_url=settings.database_url, producer=h.producer, schema=SCHEMA,
            topic_prefix=settings.namespace,
        )
        message = encode(report(), source="/test")
        async with h.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, [message])
        other = await asyncpg.connect(settings.database_url)
        try:
            # Another relay holds the schema's lock mid-publish: this one must not publish.
            async with other.transaction():
                assert await other.fetchval(
                    "SELECT pg_try_advisory_xact_lock(hashtext($1))", f"{SCHEMA}_outbox"
                )
                assert await relay.publish_once() == 0
                assert await h.pool.fetchval("SELECT count(*) FROM outbox") == 1
        finally:
            await other.close()
        assert await relay.publish_once() == 1
        assert await h.pool.fetchval("SELECT count(*) FROM outbox") == 0
        rows = await h.wait_for_effects(1)
        assert [r["event_id"] for r in rows] == [message.event_id]
