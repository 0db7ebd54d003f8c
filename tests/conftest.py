"""Fixtures every tier shares: the session's real broker and database, a fresh database per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.settings import PlatformSettings
from tests.support.infra import Infra, session_infra


@pytest.fixture(scope="session")
def infra_handle() -> Iterator:
    """The broker and PostgreSQL for the session (environment, Docker, or embedded)."""
    # Not under pytest's basetemp: pytest prunes old basetemps, which would pull the data
    # folder from under a server that a concurrent session is still running.
    folder = Path(tempfile.mkdtemp(prefix="nuanxin-test-infra-"))
    try:
        with session_infra(folder) as handle:
            yield handle
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def infra(infra_handle) -> Infra:
    """Addresses of the session's broker and database server."""
    return infra_handle[0]


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
async def database_url(infra: Infra) -> AsyncIterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.admin_database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield _with_database(infra.admin_database_url, name)
    admin = await asyncpg.connect(infra.admin_database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def settings(infra: Infra, database_url: str, tmp_path) -> PlatformSettings:
    """Settings pointing at the session's broker, this test's database and its own topics."""
    return PlatformSettings(
        env="test",
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=database_url,
        namespace=f"t{uuid.uuid4().hex[:8]}.",
        topic_partitions=3,
        trace_dir=tmp_path / "traces",
    )
