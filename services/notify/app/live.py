"""Wakes every open dashboard stream when the feed grows (one LISTEN per process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

log = logging.getLogger(__name__)


class FeedSignal:
    """An edge that streams wait on; take ``current()`` before reading so no wake-up is missed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        """The event the next ``fire`` will set."""
        return self._event

    def fire(self, *_args: object) -> None:
        """Wake everyone waiting now."""
        event, self._event = self._event, asyncio.Event()
        event.set()


async def listen(database_url: str, channel: str, signal: FeedSignal, backstop_s: float = 2.0) -> None:
    """Fire the signal on every NOTIFY, and every few seconds in case one was lost."""
    conn: asyncpg.Connection | None = None
    try:
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(database_url)
                    await conn.add_listener(channel, signal.fire)
                await asyncio.sleep(backstop_s)
                signal.fire()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("feed listener reconnecting: %s", exc)
                conn = None
                await asyncio.sleep(1)
    finally:
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
