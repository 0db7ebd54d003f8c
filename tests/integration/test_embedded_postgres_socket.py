"""The embedded PostgreSQL's local URL: clients on the machine reach it through its Unix-domain
socket, and every client the services use (asyncpg, a pool, the migrations' SQLAlchemy) reads it."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bench.stack import with_database
from nuanxin.embedded import EmbeddedPostgres
from services.routing.main import SPEC
from shared.postgres.migrate import upgrade
from shared.postgres.pool import create_pool

pytestmark = pytest.mark.integration


@pytest.fixture
def embedded(infra_handle) -> EmbeddedPostgres:
    pg = infra_handle[1]
    if pg is None:
        pytest.skip("the session's PostgreSQL is not the embedded one (DATABASE_URL or a container)")
    return pg


async def test_the_local_url_goes_through_the_socket(embedded):
    url = embedded.local_url
    assert urlsplit(url).hostname is None, url
    conn = await asyncpg.connect(url)
    try:
        # A connection over a Unix-domain socket has no server address; over TCP it has one.
        assert await conn.fetchval("SELECT inet_server_addr() IS NULL") is True
    finally:
        await conn.close()
    tcp = await asyncpg.connect(embedded.url)
    try:
        assert await tcp.fetchval("SELECT inet_server_addr() IS NULL") is False
    finally:
        await tcp.close()


async def test_a_service_migrates_and_pools_through_the_socket(embedded):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(embedded.local_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(embedded.local_url, name)
        await upgrade(url, schema="routing", script_location=SPEC.migrations)
        pool = await create_pool(url, schema="routing", max_size=2)
        try:
            assert await pool.fetchval("SELECT count(*) FROM cases") == 0
            assert await pool.fetchval("SELECT inet_server_addr() IS NULL") is True
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def test_a_socket_path_too_long_for_the_kernel_falls_back_to_tcp(tmp_path):
    fits = EmbeddedPostgres(Path("/tmp/pg"), port=5432, database="d")
    assert fits.local_url == "postgresql://postgres@/d?host=/tmp/pg&port=5432"
    deep = EmbeddedPostgres(tmp_path / ("x" * 100), port=5432, database="d")
    assert deep.local_url == deep.url == "postgresql://postgres@127.0.0.1:5432/d"


def test_a_server_pg_ctl_fails_to_stop_is_stopped_by_its_signal(tmp_path, monkeypatch, capsys):
    from nuanxin.embedded import free_port

    pg = EmbeddedPostgres(tmp_path / "pg", port=free_port(), database="stopme")
    pg.start()
    pid_file = pg.data_dir / "postmaster.pid"
    pid = int(pid_file.read_text().split()[0])
    run = pg._run

    def failing_stop(*args: str, check: bool = True):
        if "stop" in args:  # pg_ctl fails before it signals anything
            return run(args[0], "--no-such-option", check=False)
        return run(*args, check=check)

    monkeypatch.setattr(pg, "_run", failing_stop)
    try:
        pg.stop()
        assert not pid_file.exists(), "the server shut down"
        with pytest.raises(ProcessLookupError):
            for _ in range(50):  # the postmaster exits just after it removes its pid file
                os.kill(pid, 0)
                time.sleep(0.1)
        assert "pg_ctl stop exited with" in capsys.readouterr().err
    finally:
        monkeypatch.undo()
        pg.stop("immediate")
