"""One service's process resources and lifecycle: migrations, topics, pool, producer, broker, relay
(a relay in a process of its own: shared/relay_host.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from faststream.kafka import KafkaBroker
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CollectorRegistry

from shared.auth import TokenCodec
from shared.clock import Clock, SystemClock
from shared.http.errors import ProblemError
from shared.kafka.admin import ensure_system_topics
from shared.kafka.broker import create_broker
from shared.kafka.consumer import ApplyBatch, ApplyOne, EventConsumer, Prepare
from shared.kafka.dead_letters import DeadLetterPublisher
from shared.kafka.producer import create_producer
from shared.kafka.subscription import subscribe
from shared.postgres import migrate
from shared.postgres.outbox import OutboxRelay
from shared.postgres.pool import create_pool
from shared.postgres.retention import prune_inbox
from shared.relay_host import relay_for
from shared.settings import PlatformSettings
from shared.telemetry.lean import LeanTracer
from shared.telemetry.metrics import ServiceMetrics
from shared.telemetry.setup import create_tracer_provider
from shared.ticker import run_ticks

log = logging.getLogger(__name__)
F = TypeVar("F")
S = TypeVar("S")


@dataclass
class Runtime:
    """Per-process resources a service's composition root builds on."""

    name: str
    settings: PlatformSettings
    tracer: trace.Tracer
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    broker: KafkaBroker
    dead_letters: DeadLetterPublisher
    metrics: ServiceMetrics
    tokens: TokenCodec
    clock: Clock
    overrides: dict[str, Any] = field(default_factory=dict)
    consumers: list[tuple[str, EventConsumer]] = field(default_factory=list)

    def service_settings(self, cls: type[S]) -> S:
        """The service's own settings: environment, then any overrides the host was given."""
        return cls(**self.overrides)

    def consume(
        self,
        topic: str,
        *,
        apply_one: ApplyOne | None = None,
        apply_batch: ApplyBatch | None = None,
        prepare: Prepare | None = None,
    ) -> EventConsumer:
        """Subscribe this service's consumer group to a topic, applying each event once.

        ``apply_one`` runs per event; ``apply_batch`` gets every fresh event of a batch at once
        (set-based statements), each with its span. Either way, one transaction per batch.
        """
        consumer = EventConsumer(
            name=self.name,
            pool=self.pool,
            apply_one=apply_one,
            apply_batch=apply_batch,
            prepare=prepare,
            dead_letters=self.dead_letters,
            tracer=self.tracer,
            metrics=self.metrics,
            max_attempts=self.settings.consumer_max_attempts,
        )
        if any(t == topic for t, _ in self.consumers):
            raise ValueError(f"{self.name} consumes {topic} twice")
        # Subscribed together when the host starts: one Kafka consumer for all the topics.
        self.consumers.append((topic, consumer))
        return consumer


@dataclass(frozen=True)
class ServiceSpec(Generic[F]):
    """What makes a service: its schema, migrations, composition root, routes, background work."""

    name: str
    migrations: Path
    create: Callable[[Runtime], F]
    router: Callable[[Callable[[], F], TokenCodec], APIRouter]
    background: Callable[[F], Sequence[Coroutine[Any, Any, None]]] = lambda _f: ()
    # Awaited on stop once consuming has stopped and before background work is cancelled and the
    # pool closes: the moment to finish writes already accepted (intake's group commit).
    close: Callable[[F], Awaitable[None]] | None = None
    # Whether a live view waits on what the service's consumers apply (routing's cases, notify's
    # stream): those long-poll `fetch_max_wait_ms`; the others `follower_fetch_max_wait_ms`.
    live: bool = True

    def fetch_max_wait_ms(self, settings: PlatformSettings) -> int:
        """The long-poll wait of this service's consumer."""
        return settings.fetch_max_wait_ms if self.live else settings.follower_fetch_max_wait_ms


class ServiceHost(Generic[F]):
    """Starts and stops one service; its router is ready before start, its factory after."""

    def __init__(
        self,
        spec: ServiceSpec[F],
        settings: PlatformSettings,
        *,
        exporter: SpanExporter | None = None,
        registry: CollectorRegistry | None = None,
        clock: Clock | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.overrides = overrides or {}
        self.clock: Clock = clock or SystemClock()
        self.settings = settings
        self.tokens = TokenCodec(
            settings.jwt_secret.get_secret_value(), settings.jwt_issuer, settings.jwt_audience
        )
        self.metrics = ServiceMetrics(spec.name, registry)
        self.tracer_provider: TracerProvider = create_tracer_provider(
            f"nuanxin-{spec.name}",
            otlp_endpoint=settings.otlp_endpoint,
            trace_dir=settings.trace_dir,
            exporter=exporter,
        )
        # Lean spans (shared/telemetry/lean/): a report's hops make one each, on the hot path.
        self.tracer: trace.Tracer = LeanTracer(self.tracer_provider.get_tracer(f"nuanxin.{spec.name}"))
        self.router = spec.router(self.factory, self.tokens)
        self.runtime: Runtime | None = None
        self.relay: OutboxRelay | None = None
        self._factory: F | None = None
        self._tasks: list[asyncio.Task] = []

    @property
    def name(self) -> str:
        """The service's name, schema and consumer group."""
        return self.spec.name

    def factory(self) -> F:
        """The composition root, or a 503 while the service is still starting."""
        if self._factory is None:
            raise ProblemError(503, "starting", f"the {self.name} service is starting")
        return self._factory

    async def start(self) -> None:
        """Migrate, create topics, connect, register handlers, then start consuming and relaying
        (unless ``NUANXIN_OUTBOX_RELAY=separate`` leaves the relay to a `nuanxin relay` process)."""
        s = self.settings
        await migrate.upgrade(s.database_url, schema=self.name, script_location=self.spec.migrations)
        await ensure_system_topics(s)
        pool = await create_pool(s.database_url, schema=self.name, max_size=s.db_pool_size)
        producer = create_producer(s.kafka_bootstrap_servers, client_id=f"nuanxin-{self.name}")
        await producer.start()
        broker = create_broker(s.kafka_bootstrap_servers, client_id=f"nuanxin-{self.name}")
        self.runtime = Runtime(
            name=self.name,
            settings=s,
            tracer=self.tracer,
            pool=pool,
            producer=producer,
            broker=broker,
            dead_letters=DeadLetterPublisher(producer=producer),
            metrics=self.metrics,
            tokens=self.tokens,
            clock=self.clock,
            overrides=self.overrides,
        )
        self._factory = self.spec.create(self.runtime)
        if self.runtime.consumers:
            subscribe(
                broker,
                dict(self.runtime.consumers),
                settings=s,
                fetch_max_wait_ms=self.spec.fetch_max_wait_ms(s),
            )
        await broker.start()
        if s.outbox_relay == "in-service":
            self.relay = relay_for(self.name, s, pool, producer, self.metrics)
            self._spawn(self.relay.run(), "outbox-relay")
        self._spawn(self._observe(), "observe")
        self._spawn(
            run_ticks(self._prune_inbox, name="inbox-retention", interval_s=3600, full_batch=10_000),
            "inbox-retention",
        )
        for i, job in enumerate(self.spec.background(self._factory)):
            self._spawn(job, f"background-{i}")
        log.info("service started", extra={"service": self.name})

    def _spawn(self, coro: Coroutine[Any, Any, None], label: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.name}:{label}")
        task.add_done_callback(self._report_crash)
        self._tasks.append(task)

    def _report_crash(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s died", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        """Stop consuming first, then background work, then connections; flush spans last."""
        rt = self.runtime
        if rt is not None:
            with contextlib.suppress(Exception):
                await rt.broker.stop()
        if self._factory is not None and self.spec.close is not None:
            try:
                await self.spec.close(self._factory)
            except Exception:
                log.exception("%s: closing failed", self.name)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()
        if rt is not None:
            with contextlib.suppress(Exception):
                await rt.producer.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(rt.pool.close(), 5)
        self.tracer_provider.force_flush()
        self.tracer_provider.shutdown()
        self._factory = None
        self.runtime = None

    def health(self) -> dict[str, Any]:
        """Whether the service is up, and what it has done."""
        rt = self.runtime
        return {
            "status": "ok" if rt is not None and self._factory is not None else "starting",
            "consumers": {t: {"applied": c.applied, "duplicates": c.duplicates}
                          for t, c in (rt.consumers if rt else [])},
            # None: a `nuanxin relay` process publishes this service's outbox (its own /healthz).
            "relayed": self.relay.published if self.relay else None,
            "dead_letters": rt.dead_letters.sent if rt else 0,
        }

    async def _prune_inbox(self) -> int:
        rt = self.runtime
        if rt is None:
            return 0
        return await prune_inbox(rt.pool, older_than_days=rt.settings.inbox_retention_days)

    async def _observe(self) -> None:
        # Lag and backlog need I/O, so they are refreshed here rather than on scrape.
        while True:
            await asyncio.sleep(5)
            rt = self.runtime
            if rt is None:
                continue
            s = rt.settings
            with contextlib.suppress(Exception):
                backlog = await rt.pool.fetchval("SELECT count(*) FROM outbox")
                self.metrics.outbox_backlog.labels(self.name).set(backlog)
            for subscriber in rt.broker.subscribers:
                consumer = getattr(subscriber, "consumer", None)
                if consumer is None:
                    continue
                with contextlib.suppress(Exception):
                    for tp in consumer.assignment():
                        high = consumer.highwater(tp)
                        pos = await consumer.position(tp)
                        if high is not None:
                            self.metrics.consumer_lag.labels(
                                self.name, s.group(self.name), tp.topic, str(tp.partition)
                            ).set(max(high - pos, 0))

