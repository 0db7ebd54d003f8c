"""The body of every service's Alembic ``env.py``: one schema, one advisory lock, async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def _run(connection: Connection, schema: str) -> None:
    # Two processes starting together must not both create the same tables.
    connection.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": f"migrate:{schema}"})
    try:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}"'))
        connection.commit()
        context.configure(
            connection=connection, target_metadata=None, version_table_schema=schema
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": f"migrate:{schema}"})
        connection.commit()


async def _run_async(url: str, schema: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, schema)
    finally:
        await engine.dispose()


def run_migrations() -> None:
    """Called from a service's ``env.py``; online mode only."""
    config = context.config
    asyncio.run(_run_async(config.get_main_option("sqlalchemy.url"), config.attributes["schema"]))
