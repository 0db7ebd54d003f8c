"""The loop every durable timer runs: tick, go again at once while batches are full, survive outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

log = logging.getLogger(__name__)


async def run_ticks(
    tick: Callable[[], Awaitable[int]],
    *,
    name: str,
    interval_s: float,
    full_batch: int | None = None,
    outage_wait_s: float = 2.0,
) -> None:
    """Call ``tick`` until cancelled.

    A tick that handled ``full_batch`` rows means more are due, so the next comes at once. A
    database outage is waited out; any other error is logged and retried, so one bad batch never
    stops the clock for everything after it.
    """
    while True:
        try:
            done = await tick()
            if full_batch is not None and done >= full_batch:
                continue
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("%s waiting for the database: %s", name, exc)
            await asyncio.sleep(outage_wait_s)
        except Exception:
            log.exception("%s failed a tick; retrying", name)
            await asyncio.sleep(outage_wait_s)
        await asyncio.sleep(interval_s)
