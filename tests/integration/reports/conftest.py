"""Fixtures of the reports storage tests: the migrated reports schema and the store under test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.reports.main import SPEC
from services.reports.storage.postgres import PostgresReportStore
from shared.postgres import migrate
from shared.postgres.pool import create_pool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The reports schema, migrated, and a pool inside it."""
    await migrate.upgrade(database_url, schema="reports", script_location=SPEC.migrations)
    pool = await create_pool(database_url, schema="reports", max_size=8)  # writers, lock holders, checks
    yield pool
    await pool.close()


@pytest.fixture
async def store(pool: asyncpg.Pool) -> AsyncIterator[PostgresReportStore]:
    """The store under test, closed (writer stopped) afterwards."""
    store = PostgresReportStore(pool=pool)
    yield store
    await store.close()
    assert not store.intake.writing
