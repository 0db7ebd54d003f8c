"""The limit: two Kafka hops with plain aiokafka, no parsing and no database.

injector ─▶ <ns>pt.reports ─▶ forwarder process ─▶ <ns>pt.cases ─▶ sink
The forwarder consumes a batch, produces the same key, value and headers to the next topic,
waits for the acks and commits the offsets (after the effect, like the services). The injector
stamps a ``bench-ts`` header (time.monotonic_ns, system-wide on Linux); the sink measures the
two-hop latency from it. Producer and consumer settings are the services' own.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer

from shared.kafka.producer import create_producer


def _consumer(bootstrap: str, topic: str, group: str, fetch_max_wait_ms: int) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=fetch_max_wait_ms,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )


async def forward(
    bootstrap: str, src: str, dst: str, group: str, fetch_max_wait_ms: int, max_records: int
) -> None:
    """Consume src, produce the same bytes to dst, commit after the acks; until killed."""
    producer = create_producer(bootstrap, client_id="bench-forwarder")
    consumer = _consumer(bootstrap, src, group, fetch_max_wait_ms)
    await producer.start()
    await consumer.start()
    announced = False
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=fetch_max_wait_ms, max_records=max_records)
            if not announced and consumer.assignment():
                print("ready", flush=True)
                announced = True
            futures = []
            for records in batches.values():
                for r in records:
                    futures.append(await producer.send(dst, r.value, key=r.key, headers=list(r.headers)))
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def drive(
    bootstrap: str,
    src: str,
    sink_topic: str,
    group: str,
    *,
    rate: float,
    duration_s: float,
    value: bytes,
    headers: list[tuple[str, bytes]],
    fetch_max_wait_ms: int,
    drain_s: float,
    consumer: AIOKafkaConsumer | None = None,
) -> dict:
    """Offer ``rate`` msg/s for ``duration_s`` (open loop) and collect two-hop latencies at the sink."""
    n = max(1, int(rate * duration_s))
    sink = consumer or _consumer(bootstrap, sink_topic, group, fetch_max_wait_ms)
    if consumer is None:
        await sink.start()
    producer = create_producer(bootstrap, client_id="bench-injector")
    await producer.start()
    latencies: list[float] = []
    received_at: list[float] = []
    sent = 0
    done = asyncio.Event()

    async def collect() -> None:
        while True:
            batches = await sink.getmany(timeout_ms=fetch_max_wait_ms, max_records=2000)
            now = time.monotonic_ns()
            for records in batches.values():
                for r in records:
                    for k, v in r.headers:
                        if k == "bench-ts":
                            latencies.append((now - int(v)) / 1e6)
                            received_at.append(now / 1e9)
            if batches:
                await sink.commit()
            if done.is_set() and len(latencies) >= sent:
                return

    collector = asyncio.create_task(collect())
    start = time.monotonic() + 0.2
    hard_end = start + duration_s + 2
    try:
        for i in range(n):
            sched = start + i / rate
            delay = sched - time.monotonic()
            if delay > 0.001:
                await asyncio.sleep(delay)
            if time.monotonic() > hard_end:
                break
            hs = [*headers, ("bench-ts", str(time.monotonic_ns()).encode())]
            await producer.send(src, value, key=str(uuid.uuid4()).encode(), headers=hs)
            sent += 1
        await producer.flush()
        done.set()
        try:
            await asyncio.wait_for(asyncio.shield(collector), drain_s)
        except TimeoutError:
            pass
    finally:
        collector.cancel()
        await producer.stop()
        if consumer is None:
            await sink.stop()
    last = max(received_at, default=start)
    return {
        "offered": rate,
        "sent": sent,
        "received": len(latencies),
        "start": start,
        "latencies_ms": latencies,
        "elapsed_s": max(1e-3, last - start),
    }


def main(argv: list[str]) -> int:
    """`python -m bench.passthrough forward BOOTSTRAP SRC DST GROUP FETCH_MAX_WAIT_MS MAX_RECORDS`."""
    if argv[0] != "forward":
        raise SystemExit("usage: python -m bench.passthrough forward ...")
    bootstrap, src, dst, group, wait_ms, max_records = argv[1:7]
    try:
        asyncio.run(forward(bootstrap, src, dst, group, int(wait_ms), int(max_records)))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
