"""A service whose outbox a `nuanxin relay` process publishes (NUANXIN_OUTBOX_RELAY=separate): its
events wait in the outbox until that process runs, then reach the topic once each."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import asyncpg
import httpx
import pytest

from nuanxin.embedded import free_port
from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.events import topics
from tests.support.kafka import read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration


def _relay_process(settings, port: int, log) -> subprocess.Popen:
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "DATABASE_URL": settings.database_url,
        "NUANXIN_NAMESPACE": settings.namespace,
        "NUANXIN_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "NUANXIN_TRACE_DIR": str(settings.trace_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "nuanxin", "relay", "--target", "reports", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )


async def _until_healthy(client: httpx.AsyncClient, proc: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        assert proc.poll() is None, "the relay process exited during start-up"
        try:
            response = await client.get("/healthz")
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the relay process did not become healthy")


async def _outbox_rows(settings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM reports.outbox")
    finally:
        await conn.close()


async def test_events_wait_in_the_outbox_until_the_relay_process_publishes_them(settings, tmp_path):
    separate = settings.model_copy(update={"outbox_relay": "separate"})
    point = load_geojson_jurisdictions()[1][5].geometry.representative_point()
    async with run_system(separate, ["reports"]) as system:
        worker = system.token("w-relay", "worker")
        async with system.client(worker) as phone:
            accepted = []
            for i in range(3):
                response = await phone.post("/reports", json={
                    "kind": "hazard", "category": "blocked_fire_exit",
                    "location": {"lon": point.x, "lat": point.y}, "description": f"消防通道 {i}",
                })
                assert response.status_code == 201, response.text
                accepted.append(response.json()["report_id"])
            health = (await phone.get("/healthz")).json()
        # No relay in the service: its health says so, and the events wait (longer than the
        # relay's 1-s backstop poll, had one been running).
        assert health["services"]["reports"]["relayed"] is None
        await asyncio.sleep(1.5)
        assert await _outbox_rows(settings) == 3

        port = free_port()
        with (tmp_path / "relay.log").open("wb") as log:
            proc = _relay_process(settings, port, log)
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as relay:
                    await _until_healthy(relay, proc)
                    events = await read_events(settings, topics.REPORTS, until=lambda got: len(got) >= 3)
                    for _ in range(100):
                        if await _outbox_rows(settings) == 0:
                            break
                        await asyncio.sleep(0.1)
                    assert await _outbox_rows(settings) == 0
                    health = (await relay.get("/healthz")).json()
                    metrics = (await relay.get("/metrics")).text
            finally:
                proc.send_signal(signal.SIGTERM)
                code = proc.wait(15)
    assert sorted(e.body.report_id for e in events) == sorted(accepted), "each event once"
    assert health == {"status": "ok", "relays": {"reports": {"status": "ok", "relayed": 3, "waiting": None}}}
    assert 'nuanxin_events_out_total{service="reports"} 3.0' in metrics
    # Stopped as the services stop: shut down in order, then ended by the signal uvicorn raises again.
    log = (tmp_path / "relay.log").read_text()
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log


async def test_the_relay_process_refuses_an_unknown_service(tmp_path):
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "nuanxin", "relay", "--target", "reprots"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "unknown target 'reprots'" in result.stderr
