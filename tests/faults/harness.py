"""The fault suite's harness: services as separate processes, a stream of reports, counting afterwards.

Every service runs as ``python -m nuanxin run --target <name> --port <port>``, exactly as it is
deployed, pointed at the session's broker, the test's own database and its own namespace. The
harness can SIGKILL and restart those processes; the tests then count what came out of the
other end (SQL over each service's schema, and records on the Kafka topics).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from nuanxin.embedded import free_port
from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.auth import Principal, TokenCodec
from shared.events.base import EventBody
from shared.events.envelope import OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1
from shared.kafka.admin import ensure_topics
from shared.kafka.producer import create_producer
from shared.settings import PlatformSettings

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
FIGURES_PATH = ARTIFACTS / "faults.json"
LONG = os.environ.get("NUANXIN_FAULTS_LONG") == "1"
SEED = int(os.environ.get("NUANXIN_FAULTS_SEED", "20251130"))
JWT_SECRET = "faults-suite-secret-not-for-production"
ISSUER, AUDIENCE = "nuanxin", "nuanxin-api"
PARTITIONS = 3


# --------------------------------------------------------------------------- processes


@dataclass
class ServiceProcess:
    """One ``nuanxin run`` process that can be killed and started again on a new port."""

    deployment: Deployment
    target: str
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    port: int = 0
    starts: int = 0
    kills: int = 0

    @property
    def url(self) -> str:
        """Base URL of the running process."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where its stdout and stderr go (appended across restarts)."""
        return self.deployment.log_dir / f"{self.name}.log"

    @property
    def alive(self) -> bool:
        """Whether the OS process still runs."""
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        """Start the process (does not wait for it to be healthy)."""
        assert not self.alive, f"{self.name} is already running"
        self.port = free_port()
        self.starts += 1
        env = self.deployment.env(self.extra_env)
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start {self.starts} on port {self.port} at {time.time():.3f}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nuanxin", "run", "--target", self.target, "--port", str(self.port)],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )

    async def wait_healthy(self, timeout: float = 90) -> None:
        """Poll /healthz until it answers 200; fail with the log's tail if the process dies."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(f"{self.name} exited ({self.proc and self.proc.returncode}):\n"
                                       f"{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} not healthy after {timeout}s:\n{self.log_tail()}")

    async def start(self, timeout: float = 90) -> ServiceProcess:
        """Spawn and wait until healthy."""
        self.spawn()
        await self.wait_healthy(timeout)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no offset commit, no outbox delete."""
        if self.alive:
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.kills += 1
            with open(self.log_path, "ab") as log:
                log.write(f"\n===== SIGKILL at {time.time():.3f}\n".encode())

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL if it does not go."""
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    async def health(self) -> dict[str, Any]:
        """The process's /healthz body."""
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"{self.url}/healthz")).json()

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the process's log."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Deployment:
    """One test's system: its database, namespace, tokens and service processes."""

    bootstrap_servers: str
    database_url: str
    namespace: str
    log_dir: Path
    work_dir: Path
    processes: list[ServiceProcess] = field(default_factory=list)
    tokens: TokenCodec = field(default_factory=lambda: TokenCodec(JWT_SECRET, ISSUER, AUDIENCE))

    @property
    def settings(self) -> PlatformSettings:
        """The same settings the processes read from their environment (for publishing, reading)."""
        return PlatformSettings(
            env="test", kafka_bootstrap_servers=self.bootstrap_servers, database_url=self.database_url,
            namespace=self.namespace, topic_partitions=PARTITIONS,
        )

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a service process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUANXIN_")}
        env.update({
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DATABASE_URL": self.database_url,
            "NUANXIN_ENV": "test",
            "NUANXIN_NAMESPACE": self.namespace,
            "NUANXIN_TOPIC_PARTITIONS": str(PARTITIONS),
            "NUANXIN_FETCH_MAX_WAIT_MS": "20",
            "NUANXIN_CONSUMER_MAX_ATTEMPTS": "3",
            "NUANXIN_JWT_SECRET": JWT_SECRET,
            "NUANXIN_LOG_LEVEL": "WARNING",
            "NUANXIN_TRACE_DIR": str(self.work_dir / "traces"),
            "NUANXIN_REPORTS_PHOTO_DIR": str(self.work_dir / "photos"),
            # The stream comes from a handful of test workers; the per-worker rate limit is not
            # what these tests are about.
            "NUANXIN_REPORTS_REPORTS_PER_HOUR": "1000000",
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        env.update(extra or {})
        return env

    def service(self, target: str, name: str | None = None, **extra_env: str) -> ServiceProcess:
        """A service process (not yet started)."""
        process = ServiceProcess(self, target, name or target, dict(extra_env))
        self.processes.append(process)
        return process

    async def start(self, *targets: str) -> dict[str, ServiceProcess]:
        """Start several different targets at once and wait until all are healthy."""
        procs = [self.service(t) for t in targets]
        for p in procs:
            p.spawn()
        await asyncio.gather(*(p.wait_healthy() for p in procs))
        return {p.name: p for p in procs}

    def token(self, subject: str, role: str, **scope: Any) -> str:
        """A valid token for a principal."""
        return self.tokens.issue(Principal(subject, role, **scope))  # type: ignore[arg-type]

    def stop_all(self) -> None:
        """Stop every process this test started."""
        for p in self.processes:
            with contextlib.suppress(Exception):
                p.stop()

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Run one query on the test's database."""
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()


# --------------------------------------------------------------------------- reports


_COMMUNITIES = None


def communities():
    """The (synthetic) community polygons routing uses."""
    global _COMMUNITIES
    if _COMMUNITIES is None:
        _COMMUNITIES = load_geojson_jurisdictions()[1]
    return _COMMUNITIES


def point_in(community, rng: random.Random) -> tuple[float, float]:
    """A random point inside a community polygon (rejection sampling, seeded)."""
    from shapely.geometry import Point

    minx, miny, maxx, maxy = community.geometry.bounds
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if community.geometry.contains(Point(x, y)):
            return x, y
    p = community.geometry.representative_point()
    return p.x, p.y


# Kinds that open a case per report, some of which can cluster ("me too") and some not.
_MIX = [
    ("elderly_checkin", "needs_help", None),
    ("elderly_checkin", "no_answer", None),
    ("hazard", "road_damage", "medium"),
    ("hazard", "dangling_wires", "high"),
    ("civility", "littering", "low"),
]


def report_requests(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n bodies for POST /reports at random points of random communities, each with an idempotency key."""
    out = []
    all_communities = communities()
    for i in range(n):
        kind, category, severity = _MIX[i % len(_MIX)]
        lon, lat = point_in(rng.choice(all_communities), rng)
        body: dict[str, Any] = {
            "kind": kind, "category": category, "location": {"lon": lon, "lat": lat},
            "description": f"fault-suite report {i}",
        }
        if severity:
            body["severity"] = severity
        out.append({"body": body, "key": f"faults-{uuid.UUID(int=rng.getrandbits(128))}",
                    "worker": f"w-fault-{i % 7}"})
    return out


def report_events(n: int, rng: random.Random) -> list[ReportSubmittedV1]:
    """n ReportSubmittedV1 bodies, as intake would publish them."""
    events = []
    all_communities = communities()
    for i in range(n):
        kind, category, severity = _MIX[i % len(_MIX)]
        lon, lat = point_in(rng.choice(all_communities), rng)
        events.append(ReportSubmittedV1(
            report_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), kind=kind, category=category,
            severity=severity or "urgent", lon=lon, lat=lat, description=f"fault-suite event {i}",
            reporter_id=f"w-fault-{i % 7}", submitted_at=datetime.now(UTC),
        ))
    return events


@dataclass
class Intake:
    """Posts reports to the reports process the way a phone does: retry with the same Idempotency-Key."""

    deployment: Deployment
    url: Callable[[], str]
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> report id
    retries: int = 0
    errors: list[str] = field(default_factory=list)

    async def post(self, client: httpx.AsyncClient, request: dict[str, Any], give_up_s: float = 120) -> str:
        """POST one report until it is accepted; returns its report id."""
        token = self.deployment.token(request["worker"], "worker")
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": request["key"]}
        deadline = time.monotonic() + give_up_s
        while True:
            try:
                r = await client.post(f"{self.url()}/reports", json=request["body"], headers=headers)
                if r.status_code in (200, 201):
                    self.accepted[request["key"]] = r.json()["report_id"]
                    return r.json()["report_id"]
                if r.status_code < 500 and r.status_code != 429:
                    raise AssertionError(f"report refused: {r.status_code} {r.text}")
                self.errors.append(f"{r.status_code}")
            except httpx.HTTPError as exc:
                self.errors.append(type(exc).__name__)
            self.retries += 1
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"report {request['key']} not accepted in {give_up_s}s: {self.errors[-5:]}"
                )
            await asyncio.sleep(0.2)

    async def stream(self, requests: Sequence[dict[str, Any]], *, rate: float, concurrency: int = 4) -> None:
        """Post all requests at about `rate` per second with a few concurrent phones."""
        queue: asyncio.Queue = asyncio.Queue()
        for r in requests:
            queue.put_nowait(r)
        started = time.monotonic()
        sent = 0

        async def phone() -> None:
            nonlocal sent
            async with httpx.AsyncClient(timeout=10) as client:
                while not queue.empty():
                    request = queue.get_nowait()
                    sent += 1
                    due = started + sent / rate
                    if (wait := due - time.monotonic()) > 0:
                        await asyncio.sleep(wait)
                    await self.post(client, request)

        await asyncio.gather(*(phone() for _ in range(concurrency)))


class Publisher:
    """Publishes records straight to the test's topics, as a relay would (or a broken producer)."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        self.producer = create_producer(settings.kafka_bootstrap_servers, client_id="faults")

    async def __aenter__(self) -> Publisher:
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            [self.settings.topic(t) for t in ("reports", "cases", "reports.dlq")],
            partitions=PARTITIONS,
        )
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def send(self, message: OutgoingMessage) -> None:
        """Publish an encoded event (its id is in its headers: sending it twice is a duplicate)."""
        await self.producer.send_and_wait(
            self.settings.topic(message.topic), value=message.value, key=message.key,
            headers=list(message.headers.items()),
        )

    async def send_raw(self, topic: str, value: bytes | None, key: bytes | None,
                       headers: Iterable[tuple[str, bytes]] = ()) -> None:
        """Publish any bytes at all."""
        await self.producer.send_and_wait(self.settings.topic(topic), value=value, key=key,
                                          headers=list(headers))

    async def events(self, bodies: Sequence[EventBody]) -> list[OutgoingMessage]:
        """Encode and publish each body once."""
        messages = [encode(b, source="/faults") for b in bodies]
        await asyncio.gather(*(self.send(m) for m in messages))
        return messages


# --------------------------------------------------------------------------- counting


async def read_topic(settings: PlatformSettings, topic: str, timeout: float = 30) -> list[ConsumerRecord]:
    """Every record on a topic now, from the beginning to the end offsets (no consumer group)."""
    name = settings.topic(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                enable_auto_commit=False, fetch_max_wait_ms=20)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = consumer.partitions_for_topic(name)
        if not partitions:
            await consumer._client.force_metadata_update()  # the topic may be new to this client
            partitions = consumer.partitions_for_topic(name) or set()
        tps = [TopicPartition(name, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records += batch
    finally:
        await consumer.stop()
    return records


def header(record: ConsumerRecord, name: str) -> str | None:
    """A record header as text."""
    for key, value in record.headers or ():
        if key == name:
            return value.decode(errors="replace")
    return None


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.5) -> bool:
    """Poll until check() holds or the time is up; returns whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)


async def case_memberships(deployment: Deployment) -> dict[str, int]:
    """report id -> how many cases it opened or joined (must be exactly 1)."""
    rows = await deployment.sql(
        "SELECT report_id::text AS r, count(*) AS n FROM ("
        " SELECT report_id FROM routing.cases UNION ALL SELECT report_id FROM routing.case_reports"
        ") m GROUP BY report_id"
    )
    return {r["r"]: r["n"] for r in rows}


async def feed_entries(deployment: Deployment) -> dict[str, int]:
    """case id -> how many case.opened feed entries notify holds for it (must be exactly 1)."""
    rows = await deployment.sql(
        "SELECT c.case_id::text AS c, count(f.seq) AS n FROM routing.cases c "
        "LEFT JOIN notify.feed f ON f.case_id = c.case_id AND f.event_type = 'case.opened' "
        "GROUP BY c.case_id"
    )
    return {r["c"]: r["n"] for r in rows}


@dataclass
class Tally:
    """What came out of the other end, counted."""

    reports_driven: int
    reports_stored: int
    cases: int
    reports_without_case: int
    reports_in_several_cases: int
    cases_without_feed_entry: int
    cases_with_several_feed_entries: int
    feed_entries_without_case: int
    reports_not_told_their_case: int | None = None
    case_opened_events_on_topic: int | None = None
    distinct_cases_on_topic: int | None = None

    @property
    def lost(self) -> int:
        """Reports or cases that did not get their effect."""
        return (self.reports_without_case + self.cases_without_feed_entry
                + (self.reports_driven - self.reports_stored) + (self.reports_not_told_their_case or 0))

    @property
    def duplicated(self) -> int:
        """Effects applied more than once."""
        return self.reports_in_several_cases + self.cases_with_several_feed_entries

    def as_dict(self) -> dict[str, Any]:
        """For faults.json."""
        return {**self.__dict__, "lost": self.lost, "duplicated": self.duplicated}


async def tally(
    deployment: Deployment, report_ids: Sequence[str], *, with_feed: bool = True,
    with_reports: bool = False, with_topic: bool = False,
) -> Tally:
    """Count, for these reports, cases and feed entries (and what intake learned)."""
    wanted = set(report_ids)
    members = await case_memberships(deployment)
    feed = await feed_entries(deployment) if with_feed else {}
    stored = len(wanted)
    told = None
    if with_reports:
        rows = await deployment.sql(
            "SELECT report_id::text AS r, case_id FROM reports.reports WHERE report_id = ANY($1::uuid[])",
            list(wanted),
        )
        stored = len(rows)
        told = sum(1 for r in rows if r["case_id"] is None)
    extra_feed = 0
    if with_feed:
        extra_feed = (await deployment.sql(
            "SELECT count(*) AS n FROM notify.feed f WHERE f.event_type = 'case.opened' AND NOT EXISTS "
            "(SELECT 1 FROM routing.cases c WHERE c.case_id = f.case_id)"
        ))[0]["n"]
    result = Tally(
        reports_driven=len(wanted), reports_stored=stored,
        cases=(await deployment.sql("SELECT count(*) AS n FROM routing.cases"))[0]["n"],
        reports_without_case=sum(1 for r in wanted if members.get(r, 0) == 0),
        reports_in_several_cases=sum(1 for r in wanted if members.get(r, 0) > 1),
        cases_without_feed_entry=sum(1 for n in feed.values() if n == 0) if with_feed else 0,
        cases_with_several_feed_entries=sum(1 for n in feed.values() if n > 1),
        feed_entries_without_case=extra_feed,
        reports_not_told_their_case=told,
    )
    if with_topic:
        records = await read_topic(deployment.settings, "cases")
        opened = [r for r in records if header(r, "ce_type") == "nuanxin.case.opened.v1"]
        result.case_opened_events_on_topic = len(opened)
        result.distinct_cases_on_topic = len({json.loads(r.value)["case_id"] for r in opened})
    return result


async def wait_for_effects(
    deployment: Deployment, report_ids: Sequence[str], *, timeout: float, with_feed: bool = True,
    with_reports: bool = False,
) -> Tally:
    """Wait until every report has its case (and feed entry, and intake knows), then count."""
    result: Tally | None = None

    async def done() -> bool:
        nonlocal result
        result = await tally(deployment, report_ids, with_feed=with_feed, with_reports=with_reports)
        return result.lost == 0

    await wait_until(done, timeout, interval=1.0)
    assert result is not None
    return result


# --------------------------------------------------------------------------- figures


def record_figures(test: str, figures: dict[str, Any]) -> None:
    """Merge one test's figures into test-artifacts/faults.json (the benchmark report reads it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(FIGURES_PATH.read_text())
    except (OSError, ValueError):
        data = {}
    data.setdefault("tests", {})
    data["suite"] = "tests/faults"
    data["mode"] = "long" if LONG else "ci"
    data["seed"] = SEED
    data["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    data["tests"][test] = figures
    totals = {"reports_driven": 0, "faults_injected": 0, "lost": 0, "duplicated": 0}
    for entry in data["tests"].values():
        for key in totals:
            value = entry.get(key)
            if isinstance(value, int):
                totals[key] += value
    data["totals"] = totals
    FIGURES_PATH.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
