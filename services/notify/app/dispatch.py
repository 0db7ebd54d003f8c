"""Deliver queued webhook and SMS/app-push sends: retries with backoff, dead letters at the limit."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import asyncpg

from services.notify.storage import deliveries
from services.notify.storage.channels import ChannelError, MessageChannel, WebhookSender
from shared.clock import Clock
from shared.ticker import run_ticks

log = logging.getLogger(__name__)


def backoff(attempt: int, base_s: float = 2.0, cap_s: float = 600.0) -> timedelta:
    """Wait before the next attempt: doubling from ``base_s``, at most ``cap_s``."""
    return timedelta(seconds=min(base_s * 2 ** (attempt - 1), cap_s))


class Dispatcher:
    """Any number of dispatchers may run: a delivery is leased by one before it is sent."""

    def __init__(
        self, *, pool: asyncpg.Pool, clock: Clock, webhooks: WebhookSender,
        channels: dict[str, MessageChannel], max_attempts: int = 5, base_backoff_s: float = 2.0,
        on_dead=None,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._webhooks = webhooks
        self._channels = channels
        self._max_attempts = max_attempts
        self._base = base_backoff_s
        self._on_dead = on_dead

    async def tick(self, limit: int = 50) -> int:
        """Send one batch of due deliveries; returns how many were attempted."""
        now = self._clock.now()
        due = await deliveries.lease_due(self._pool, now, timedelta(seconds=60), limit)
        await asyncio.gather(*(self._deliver(row) for row in due))
        return len(due)

    async def _deliver(self, row: asyncpg.Record) -> None:
        message = {
            "notification_id": row["notification_id"], "event_id": row["event_id"],
            "event_type": row["event_type"], "title": row["title"], "urgent": row["urgent"],
            "recipient": row["recipient"], "data": row["payload"],
        }
        try:
            if row["channel"] == "webhook":
                hook = await self._pool.fetchrow(
                    "SELECT url, secret, active FROM webhooks WHERE webhook_id = $1::uuid", row["target"]
                )
                if hook is None or not hook["active"]:
                    raise ChannelError("webhook removed")
                await self._webhooks.send(
                    hook["url"], hook["secret"], message, delivery_id=row["delivery_id"],
                    timestamp=str(int(self._clock.now().timestamp())),
                )
            else:
                await self._channels[row["channel"]].send(row["target"], message)
        except (ChannelError, KeyError, OSError) as exc:
            last = row["attempts"] >= self._max_attempts
            retry_at = None if last else self._clock.now() + backoff(row["attempts"], self._base)
            await deliveries.mark_failed(self._pool, row["delivery_id"], str(exc), retry_at)
            if last and self._on_dead is not None:
                self._on_dead(row["channel"])
            return
        await deliveries.mark_sent(self._pool, row["delivery_id"], self._clock.now())

    async def run(self, interval_s: float) -> None:
        """Dispatch until cancelled; while there was work, look again at once."""
        await run_ticks(self.tick, name="dispatcher", interval_s=interval_s, full_batch=1)
