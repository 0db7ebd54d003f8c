"""asyncpg pools that keep each service inside its own schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from shared.jsontext import dumps_bytes, loads

# PostgreSQL unreachable, restarting or full, not a statement's fault: wait and try again, and
# never blame the input (used by consumers, intake's writer and the HTTP error handlers).
POSTGRES_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


_JSONB_VERSION = b"\x01"  # jsonb's binary form: a version byte, then the JSON text


def _jsonb_out(value: object) -> bytes:
    return _JSONB_VERSION + dumps_bytes(value)


def _jsonb_in(data: bytes) -> object:
    if data[:1] != _JSONB_VERSION:
        raise ValueError(f"unknown jsonb binary version {data[:1]!r}")
    return loads(memoryview(data)[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects, so storage code never hand-serialises. orjson, in the
    # binary form: the outbox rows' headers pass here (written by routing and notify, read back by
    # every relay), and the standard library was a few per cent of a consuming service's CPU.
    await conn.set_type_codec(
        "jsonb", encoder=_jsonb_out, decoder=_jsonb_in, schema="pg_catalog", format="binary"
    )


async def _keep_session(_conn: asyncpg.Connection) -> None:
    # Released connections are only rolled back (asyncpg always does that), not reset with
    # UNLISTEN *, RESET ALL, CLOSE ALL and pg_advisory_unlock_all(): no code changes session state
    # on a pooled connection (advisory locks are transaction-scoped; LISTEN uses connections of
    # its own), and the reset was one more round trip for every statement run on the pool.
    return None


async def create_pool(
    database_url: str, *, schema: str, max_size: int = 10, application_name: str | None = None
) -> asyncpg.Pool:
    """A pool whose connections see the service's schema first (named ``nuanxin-<schema>`` in
    ``pg_stat_activity`` unless ``application_name`` says otherwise)."""
    return await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": application_name or f"nuanxin-{schema}"},
        init=_init_connection,
        reset=_keep_session,
    )


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose reads all see one moment (a ``REPEATABLE READ, READ ONLY`` transaction),
    for a page built from several queries: what commits meanwhile shows in none of them."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn
