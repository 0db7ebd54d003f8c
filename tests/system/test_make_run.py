"""`nuanxin up` (what `make run` starts) on the embedded defaults: it serves, and Ctrl-C or SIGTERM
(a service manager stopping it) leaves nothing running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest
from aiokafka import AIOKafkaProducer

from nuanxin.embedded import EMBEDDED_TOPIC_PARTITIONS, EmbeddedPostgres, free_port
from nuanxin.targets import TARGETS
from shared.events import topics


async def _partitions(bootstrap: str, topic: str) -> set[int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        return await producer.partitions_for(topic)
    finally:
        await producer.stop()


def _processes_mentioning(text: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(text in part for part in proc.info["cmdline"] or ()):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.mark.parametrize(
    ("stop", "codes"),
    [(signal.SIGINT, (0, 130)), (signal.SIGTERM, (143,))],
    ids=["ctrl-c", "sigterm"],
)
def test_up_serves_everything_and_a_stop_signal_stops_all_of_it(tmp_path, stop, codes):
    kafka_port, pg_port, http_port = free_port(), free_port(), free_port()
    shell = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "NUANXIN_TOPIC_PARTITIONS", "NUANXIN_NAMESPACE")
    env = {k: v for k, v in os.environ.items() if k not in shell}
    env |= {"NUANXIN_KAFKA_PORT": str(kafka_port), "NUANXIN_PG_PORT": str(pg_port)}
    # Its stderr (logs, and what a failed stop says) is kept for the assertions' messages.
    errors = tmp_path / "stderr.log"

    def stderr_tail() -> str:
        return errors.read_text()[-3000:]

    with errors.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nuanxin", "up", "--port", str(http_port), "--data", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=err, env=env, text=True,
        )
    banner: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            banner.append(line)
            if line.startswith("Ctrl-C stops everything"):
                break
        text = "".join(banner)
        assert "nuanxin is up." in text, (text, stderr_tail())
        assert f"http://127.0.0.1:{http_port}/docs" in text
        assert "worker w-demo" in text and "district staff" in text
        # The services reach the embedded PostgreSQL through its socket (the TCP URL if the
        # socket's path were too long), and the banner gives that URL for psql.
        local = EmbeddedPostgres(tmp_path.resolve() / "postgres", port=pg_port).local_url
        assert f"PostgreSQL           {local}  (embedded)" in text, text

        health = httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=10)
        assert health.status_code == 200, stderr_tail()
        assert set(health.json()["services"]) == set(TARGETS)
        assert httpx.get(f"http://127.0.0.1:{http_port}/", timeout=10).status_code == 200
        assert _processes_mentioning(str(tmp_path)), "the embedded PostgreSQL runs from --data"
        # One instance of each service on the embedded broker: its topics get the embedded default.
        assert asyncio.run(_partitions(f"127.0.0.1:{kafka_port}", topics.REPORTS)) == set(
            range(EMBEDDED_TOPIC_PARTITIONS)
        )
    finally:
        proc.send_signal(stop)
        code = proc.wait(60)
        rest = proc.stdout.read()
    assert code in codes, ("a clean exit (128 + the signal's number is the shell's convention)",
                           stderr_tail())
    assert "nuanxin stopped." in rest, stderr_tail()
    time.sleep(0.5)
    left = [p for p in _processes_mentioning(str(tmp_path)) if p.status() != psutil.STATUS_ZOMBIE]
    left += [p for p in _processes_mentioning(f"127.0.0.1:{kafka_port}")
             if p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], ([p.info["cmdline"] for p in left], stderr_tail())
