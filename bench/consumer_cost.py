"""What a consumer spends on a batch and on each record: `python -m bench.consumer_cost`.

Builds routing, notify and the reports service's case follower as their processes do (the
composition root with the consumers it registers, the pool, the lean tracer writing span files)
on a PostgreSQL of its own (embedded, or ``--database-url``'s server), without a broker: records
are handed to the consumer in batches as aiokafka hands them over. Routing gets reports spread
over the district; notify and the follower get the case events routing wrote to its outbox for
them (the follower marks each report routed, so the reports are stored first, uncounted). For
each batch size it reads the process's CPU (every thread, the span exporter's too) and the
database backend's around the batches, and then fits a straight line through the sizes: the
fixed cost of a batch and the cost of a record.

It leaves out the broker and the fetch, and measures one consumer at a time with the machine to
itself, so it says what the handling costs rather than what a loaded stack delivers; the
pipeline stage of ``nuanxin bench`` says that. No assertion: it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka.structs import ConsumerRecord

from bench.consumer_cost_fit import Row, fit, row, table
from bench.stack import with_database
from services.notify.main import SPEC as NOTIFY
from services.reports.main import SPEC as REPORTS
from services.routing.geodata.loader import load_geojson_jurisdictions
from services.routing.main import SPEC as ROUTING
from shared.auth import TokenCodec
from shared.clock import SystemClock
from shared.events import topics
from shared.events.envelope import OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1
from shared.gc import quiet_gc
from shared.host import Runtime, ServiceSpec
from shared.kafka.consumer import EventConsumer
from shared.postgres import migrate
from shared.postgres.pool import create_pool
from shared.settings import PlatformSettings
from shared.telemetry.lean import LeanTracer
from shared.telemetry.metrics import ServiceMetrics
from shared.telemetry.setup import create_tracer_provider

HAZARDS = ("blocked_fire_exit", "broken_manhole_cover", "dangling_wires", "road_damage", "other_hazard")
_TICK = os.sysconf("SC_CLK_TCK")


class _NoDeadLetters:
    """The measurement has no broker: a record that fails is a fault in the measurement."""

    async def send(self, record, error, **_kw) -> None:
        raise RuntimeError(f"{record.topic}@{record.offset} failed while measuring: {error}")


def reports(n: int, seed: int = 1) -> list[ReportSubmittedV1]:
    """Hazards at random points near the communities' centres, too far apart to join one case."""
    rng = random.Random(seed)
    _, communities = load_geojson_jurisdictions()
    points = [c.geometry.representative_point() for c in communities]
    out = []
    for i in range(n):
        p = rng.choice(points)
        out.append(ReportSubmittedV1(
            report_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), kind="hazard",
            category=HAZARDS[i % len(HAZARDS)], severity="medium",
            lon=p.x + rng.uniform(-0.004, 0.004), lat=p.y + rng.uniform(-0.004, 0.004),
            reporter_id=f"w-{rng.randint(1, 5000)}", submitted_at=datetime.now(UTC),
        ))
    return out


def as_record(message: OutgoingMessage, offset: int) -> ConsumerRecord:
    """A message as the consumer gets it from aiokafka."""
    return ConsumerRecord(
        message.topic, offset % 6, offset, int(time.time() * 1000), 0, message.key, message.value,
        None, len(message.key), len(message.value), list(message.headers.items()),
    )


class _Service:
    """One service's composition root and consumer on a pool, as its process builds them."""

    def __init__(self, spec: ServiceSpec, settings: PlatformSettings, topic: str) -> None:
        self.spec = spec
        self.settings = settings
        self.topic = topic
        self.provider = create_tracer_provider(
            f"nuanxin-{spec.name}", otlp_endpoint=None, trace_dir=settings.trace_dir
        )
        self.pool: asyncpg.Pool | None = None
        self.consumer: EventConsumer | None = None

    async def start(self) -> None:
        s = self.settings
        await migrate.upgrade(s.database_url, schema=self.spec.name, script_location=self.spec.migrations)
        # One connection: the batches run one after another, so one backend's CPU is the server's.
        self.pool = await create_pool(s.database_url, schema=self.spec.name, max_size=1)
        runtime = Runtime(
            name=self.spec.name, settings=s,
            tracer=LeanTracer(self.provider.get_tracer(f"nuanxin.{self.spec.name}")),
            pool=self.pool, producer=None, broker=None, dead_letters=_NoDeadLetters(),  # type: ignore[arg-type]
            metrics=ServiceMetrics(self.spec.name),
            tokens=TokenCodec(s.jwt_secret.get_secret_value(), s.jwt_issuer, s.jwt_audience),
            clock=SystemClock(),
        )
        self.spec.create(runtime)
        self.consumer = dict(runtime.consumers)[self.topic]

    async def backend_seconds(self) -> float | None:
        """CPU seconds of the pool's backend so far; None when it is not a process of this machine."""
        assert self.pool is not None
        return _backend_cpu_seconds(await self.pool.fetchval("SELECT pg_backend_pid()"))

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        self.provider.shutdown()


def _backend_cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds a PostgreSQL backend has used so far, if it runs here."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    name, _, rest = stat.partition(" (")[2].rpartition(")")
    if not name.startswith("postgres"):
        return None  # this machine's pid of that number is another process
    fields = rest.split()
    return (int(fields[11]) + int(fields[12])) / _TICK


async def _run_batches(
    service: _Service, batches: Sequence[Sequence[ConsumerRecord]]
) -> tuple[float, float | None]:
    """Client and server CPU seconds spent applying the batches (server: None if not readable)."""
    assert service.consumer is not None
    server0, client0 = await service.backend_seconds(), time.process_time()
    for batch in batches:
        await service.consumer.process(batch)
    service.provider.force_flush()  # the spans' export is part of a record's cost
    client, server1 = time.process_time() - client0, await service.backend_seconds()
    return client, None if server0 is None or server1 is None else server1 - server0


def _split(records: Sequence[ConsumerRecord], size: int) -> list[Sequence[ConsumerRecord]]:
    return [records[i:i + size] for i in range(0, len(records), size)]


async def measure(
    database_url: str, *, sizes: Sequence[int], records: int, trace_dir: Path, warmup: int = 200
) -> list[Row]:
    """Rows for routing, notify and the reports follower at each size, over ``records`` fresh records."""
    settings = PlatformSettings(env="test", database_url=database_url, trace_dir=trace_dir)
    routing = _Service(ROUTING, settings, topics.REPORTS)
    notify = _Service(NOTIFY, settings, topics.CASES)
    follower = _Service(REPORTS, settings, topics.CASES)
    rows: list[Row] = []
    offset = 0

    async def all_three(n: int, size: int) -> list[Row]:
        nonlocal offset
        submitted = reports(n, seed=offset + 1)
        await _store_reports(follower, submitted)
        messages = [encode(r, source="/bench") for r in submitted]
        routed = [as_record(m, offset + i) for i, m in enumerate(messages)]
        offset += n
        client, server = await _run_batches(routing, _split(routed, size))
        out = [row("routing", size, n, client, server)]
        cases = [as_record(m, offset + i) for i, m in enumerate(await _take_outbox(routing))]
        offset += len(cases)
        client, server = await _run_batches(notify, _split(cases, size))
        await _take_outbox(notify)
        out.append(row("notify", size, len(cases), client, server))
        client, server = await _run_batches(follower, _split(cases, size))
        await _take_outbox(follower)
        return [*out, row("reports", size, len(cases), client, server)]

    collector = gc.get_threshold()
    try:
        await routing.start()
        await notify.start()
        await follower.start()
        quiet_gc()  # as `nuanxin run` does once start-up has built what it keeps
        await all_three(warmup, 50)  # imports, caches, plans and the first pages of every table
        for size in sizes:
            await _analyze(routing)
            rows += await all_three(records, size)
    finally:
        for service in (routing, notify, follower):
            await service.stop()
        gc.unfreeze()  # the caller's process as it was (a test session goes on after it)
        gc.set_threshold(*collector)
    return rows


async def _analyze(service: _Service) -> None:
    """Statistics for what the database's tables now hold, as autoanalyze keeps them on a server.

    A service's statements are prepared once and, after five runs, may keep a generic plan made
    from the statistics of the moment. Made while the tables were nearly empty, that plan scans a
    table whole where an index finds the rows: routing's check for reports that already have a
    case read every case, 15 µs of the server's time a record while the cases grew from 200 to
    5,200, 105 µs from 25,200 to 30,200, and 3 µs with fresh statistics. The server's autovacuum
    looks once a minute, less often than these sizes follow each other, so the measurement
    analyses the tables itself before each size (uncounted; every service's schema is in the one
    database). ANALYZE also makes the cached plans be made again.
    """
    assert service.pool is not None
    await service.pool.execute("ANALYZE")


async def _store_reports(service: _Service, submitted: Sequence[ReportSubmittedV1]) -> None:
    """The reports as intake stored them, waiting for their cases (not part of any measurement)."""
    assert service.pool is not None
    await service.pool.execute(
        "INSERT INTO reports (report_id, reporter_id, kind, category, severity, lon, lat, "
        "reporter_hidden, status, submitted_at, updated_at) "
        "SELECT r.*, false, 'submitted', now(), now() FROM unnest($1::uuid[], $2::text[], "
        "$3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[]) AS r",
        [r.report_id for r in submitted], [r.reporter_id for r in submitted],
        [r.kind for r in submitted], [r.category for r in submitted],
        [r.severity for r in submitted], [r.lon for r in submitted], [r.lat for r in submitted],
    )


async def _take_outbox(service: _Service) -> list[OutgoingMessage]:
    """The events the service committed, removed from its outbox as its relay would."""
    assert service.pool is not None
    rows = await service.pool.fetch("DELETE FROM outbox RETURNING seq, topic, key, headers, value")
    return [
        OutgoingMessage(
            topic=r["topic"], key=r["key"], value=r["value"], event_id=r["headers"]["ce_id"],
            headers={k: v.encode() for k, v in r["headers"].items()},
        )
        for r in sorted(rows, key=lambda r: r["seq"])
    ]


async def _main(args: argparse.Namespace) -> list[Row]:
    from nuanxin.embedded import EmbeddedPostgres, free_port

    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="nuanxin-cost-"))
    server = None
    url = args.database_url
    if url is None:
        server = EmbeddedPostgres(work / "pg", port=free_port())
        server.start()
        url = server.local_url
    name = f"cost_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            rows = await measure(
                with_database(url, name), sizes=sizes, records=args.records, trace_dir=work / "traces"
            )
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
        if server is not None:
            server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.consumer_cost", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1,10,50,200", help="comma list: records a batch")
    p.add_argument("--records", type=int, default=1000, help="records at each batch size")
    p.add_argument(
        "--database-url",
        help="a PostgreSQL server to use (default: an embedded one); its CPU is read only when it "
        "runs on this machine, outside a container",
    )
    p.add_argument("--json", help="also write the rows and fits to this file")
    args = p.parse_args(argv)
    rows = asyncio.run(_main(args))
    fits = [
        f for s in ("routing", "notify", "reports") for side in ("client", "server")
        if (f := fit(s, side, [r for r in rows if r.service == s])) is not None
    ]
    print(table(rows, fits))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"rows": [asdict(r) for r in rows], "fits": [asdict(f) for f in fits]}, indent=2
        ))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
