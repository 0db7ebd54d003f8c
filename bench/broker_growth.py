"""What the same load costs the embedded broker as it stores more: `python -m bench.broker_growth`.

Starts a fresh embedded Tansu, then offers the same produce-and-consume load (``--rate`` records a
second of 700 bytes, keys in turn, one consumer polling every 20 ms like the services) for
``--seconds``, first on an empty topic and then after each fill of ``--fill`` more records, and
prints the broker's CPU (cores) during each load and while only polling. ``--repeat`` offers the
load that many times at each point. No assertion: it measures.

What grows is the cost of reading a topic, with the record batches the topic holds: a fill sends
its records in large batches and adds little, while each load's own small batches (a few records
each, as the services' relays send them) add much more; ``--fill "" --repeat 5`` shows it. Tansu's
memory storage keeps each record batch as an object and a fetch that finds new data lists every
object of the partition. ``--linger-ms`` makes the producer's batches larger and fewer, as the
services' relays do with ``NUANXIN_RELAY_LINGER_MS``.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from nuanxin.embedded import EmbeddedKafka, free_port
from shared.kafka.producer import create_producer

VALUE = b"x" * 700  # about a report.submitted event


async def _cores(proc: psutil.Process, work) -> float:
    """The process's CPU (cores) while ``work`` runs."""
    t0, c0 = time.monotonic(), proc.cpu_times()
    await work
    t1, c1 = time.monotonic(), proc.cpu_times()
    return (c1.user + c1.system - c0.user - c0.system) / (t1 - t0)


async def measure(
    rate: float,
    seconds: float,
    fills: list[int],
    repeat: int = 1,
    partitions: int = 6,
    linger_ms: int = 2,
) -> list[dict]:
    """One row per point: records stored before it, broker cores while polling, and under load."""
    broker = EmbeddedKafka(port=free_port())
    broker.start()
    proc = psutil.Process(broker.process.pid)
    bootstrap = broker.bootstrap_servers
    rows: list[dict] = []
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic("growth", partitions, 1)])
        await admin.close()
        consumer = AIOKafkaConsumer(
            "growth",
            bootstrap_servers=bootstrap,
            group_id="growth",
            fetch_max_wait_ms=20,
            auto_offset_reset="latest",
        )
        await consumer.start()
        producer = create_producer(bootstrap, client_id="growth", linger_ms=linger_ms)
        await producer.start()

        async def poll() -> None:
            while True:
                await consumer.getmany(timeout_ms=50)

        async def load() -> None:
            start, n = time.monotonic(), int(rate * seconds)
            for i in range(n):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await producer.send("growth", VALUE, key=str(i % 1000).encode())
            await producer.flush()

        poller = asyncio.create_task(poll())
        stored = 0
        try:
            for fill in [0, *fills]:
                if fill:
                    sends = [await producer.send("growth", VALUE, key=str(i).encode()) for i in range(fill)]
                    await asyncio.gather(*sends)
                    stored += fill
                    await asyncio.sleep(3)  # let the consumer skip to the end
                for _ in range(repeat):
                    idle = await _cores(proc, asyncio.sleep(seconds))
                    busy = await _cores(proc, load())
                    before, stored = stored, stored + int(rate * seconds)
                    rows.append({"stored_before": before, "idle_cores": idle, "load_cores": busy})
                    print(
                        f"{rows[-1]['stored_before']:>9,} stored: polling {idle:.3f} cores, "
                        f"{rate:,.0f}/s {busy:.3f} cores",
                        flush=True,
                    )
        finally:
            poller.cancel()
            await producer.stop()
            await consumer.stop()
    finally:
        broker.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.broker_growth", description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=1000.0, help="records a second during each load")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each load and idle period")
    p.add_argument("--fill", default="100000,200000", help="comma list: records added before each point")
    p.add_argument("--repeat", type=int, default=1, help="loads offered at each point, one after another")
    p.add_argument("--partitions", type=int, default=6, help="partitions of the topic (services: 6)")
    p.add_argument(
        "--linger-ms", type=int, default=2, help="producer linger: larger, fewer record batches (services: 2)"
    )
    a = p.parse_args(argv)
    fills = [int(x) for x in a.fill.split(",") if x]
    asyncio.run(
        measure(a.rate, a.seconds, fills, max(1, a.repeat), max(1, a.partitions), max(0, a.linger_ms))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
