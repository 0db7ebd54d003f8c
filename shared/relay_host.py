"""A service's outbox relay: how one is built, and a host that runs it in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from shared.kafka.admin import ensure_system_topics
from shared.kafka.producer import create_producer
from shared.postgres.outbox import OutboxRelay
from shared.postgres.pool import create_pool
from shared.settings import PlatformSettings
from shared.telemetry.metrics import ServiceMetrics

log = logging.getLogger(__name__)


def relay_for(
    name: str,
    settings: PlatformSettings,
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    metrics: ServiceMetrics,
) -> OutboxRelay:
    """The relay of a service's outbox, in the service's process or in one of its own."""
    return OutboxRelay(
        pool=pool,
        database_url=settings.database_url,
        producer=producer,
        schema=name,
        linger_s=settings.relay_linger_ms / 1000,
        on_published=metrics.events_out.labels(name).inc,
        topic_prefix=settings.namespace,
    )


class RelayHost:
    """Publishes one service's outbox from a process of its own (`nuanxin relay`).

    The service runs with ``NUANXIN_OUTBOX_RELAY=separate`` and commits events to its outbox as
    always; this host only connects, creates the topics if they are missing, and relays. It does
    not migrate: the service owns its schema, and until the service has created the outbox the
    relay waits ("outbox relay waiting"), as it waits out any database outage.
    """

    def __init__(
        self, name: str, settings: PlatformSettings, *, registry: CollectorRegistry | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self.metrics = ServiceMetrics(name, registry)
        self.relay: OutboxRelay | None = None
        self._pool: asyncpg.Pool | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task | None = None
        self._stopped = False

    async def start(self) -> None:
        """Create missing topics, connect, then relay until stopped; what a failed start opened,
        it closes."""
        s = self.settings
        await ensure_system_topics(s)
        try:
            # One pooled connection, for a batch's transaction (the relay LISTENs on one of its own).
            label = f"nuanxin-{self.name}-relay"
            self._pool = await create_pool(
                s.database_url, schema=self.name, max_size=1, application_name=label
            )
            self._producer = create_producer(s.kafka_bootstrap_servers, client_id=label)
            await self._producer.start()
        except BaseException:
            await self.stop()
            raise
        self.relay = relay_for(self.name, s, self._pool, self._producer, self.metrics)
        self._task = asyncio.create_task(self.relay.run(), name=f"{self.name}:outbox-relay")
        self._task.add_done_callback(self._ended)
        log.info("relay started", extra={"service": self.name})

    def _ended(self, task: asyncio.Task) -> None:
        # The relay waits out every failure and ends only when cancelled; anything else is a fault.
        if not task.cancelled():
            log.error("the %s outbox relay ended", self.name, exc_info=task.exception())

    async def stop(self) -> None:
        """Stop relaying, then disconnect. Rows whose batch was acknowledged but not yet deleted stay
        in the outbox and are published again by the next relay (consumers absorb duplicates)."""
        self._stopped = self._task is not None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), 5)
            self._pool = None
        self.relay = None

    def health(self) -> dict[str, Any]:
        """Whether the relay runs, how many events it has published, and why it waits if it does."""
        if self._task is None:
            status = "stopped" if self._stopped else "starting"
        else:
            status = "stopped" if self._task.done() else "ok"
        relay = self.relay
        return {
            "status": status,
            "relayed": relay.published if relay else 0,
            "waiting": relay.waiting if relay else None,
        }
