"""`nuanxin infra` prints addresses a shell can take as they are, the database's through its socket."""

from __future__ import annotations

import asyncio
import os
import select
import shlex
import signal
import subprocess
import sys
import time

import asyncpg

from nuanxin.embedded import free_port


def _assignments(lines: list[str]) -> dict[str, str]:
    # What `export` would make of the lines: shell words, comments left out.
    words = shlex.split("\n".join(lines), comments=True)
    return dict(word.split("=", 1) for word in words)


async def _through(url: str) -> tuple[bool, int]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT inet_server_addr() IS NULL"), await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


def test_infra_prints_the_socket_url_quoted_and_the_tcp_one_as_a_comment(tmp_path):
    kafka_port, pg_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nuanxin", "infra", "--data", str(tmp_path),
         "--kafka-port", str(kafka_port), "--pg-port", str(pg_port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, bufsize=0,
    )
    lines: list[str] = []
    try:
        # Unbuffered, a byte at a time, so waiting for a line that never comes times out.
        deadline = time.monotonic() + 90
        while len(lines) < 3 and select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))[0]:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.decode().rstrip("\n"))
            if lines[-1].startswith("DATABASE_URL="):
                deadline = min(deadline, time.monotonic() + 5)  # the next line follows at once
        values = _assignments(lines)
        assert values["KAFKA_BOOTSTRAP_SERVERS"] == f"127.0.0.1:{kafka_port}", lines
        assert lines[2] == (
            f"# from another machine or container: DATABASE_URL=postgresql://postgres@127.0.0.1:{pg_port}/nuanxin"
        ), lines
        # The printed URL, read back as a shell reads it, reaches the server through its socket.
        assert asyncio.run(_through(values["DATABASE_URL"])) == (True, 1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
