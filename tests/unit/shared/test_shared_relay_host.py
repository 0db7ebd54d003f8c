"""RelayHost (a `nuanxin relay` process's relay): a failed start closes what it opened, and the
process's /healthz tells starting, running and stopped relays apart."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import shared.relay_host as host_module
from nuanxin.app import create_relay_app
from shared.relay_host import RelayHost
from shared.settings import PlatformSettings


class _Pool:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


class _Producer:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.stopped = False

    async def start(self) -> None:
        if self.fail:
            raise ConnectionError("no broker at 127.0.0.1:1")

    async def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def opened(monkeypatch) -> dict:
    """What RelayHost opens, faked: no topics to create, a pool, a producer that may fail to start."""
    made: dict = {"fail": False, "names": []}

    async def no_topics(*_args, **_kwargs) -> None:
        return None

    async def pool(*_args, application_name: str | None = None, **_kwargs) -> _Pool:
        made["names"].append(application_name)
        made["pool"] = _Pool()
        return made["pool"]

    def producer(*_args, client_id: str, **_kwargs) -> _Producer:
        made["names"].append(client_id)
        made["producer"] = _Producer(made["fail"])
        return made["producer"]

    monkeypatch.setattr(host_module, "ensure_system_topics", no_topics)
    monkeypatch.setattr(host_module, "create_pool", pool)
    monkeypatch.setattr(host_module, "create_producer", producer)
    return made


async def test_a_failed_start_closes_the_pool_it_opened_and_says_starting(opened):
    opened["fail"] = True
    relay = RelayHost("reports", PlatformSettings(env="test"))
    with pytest.raises(ConnectionError):
        await relay.start()
    assert opened["pool"].closed and opened["producer"].stopped
    assert relay.health() == {"status": "starting", "relayed": 0, "waiting": None}


async def test_the_relay_is_named_as_the_relay_and_stopped_once_stopped(opened, monkeypatch):
    async def relay_forever(self) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(host_module.OutboxRelay, "run", relay_forever)
    relay = RelayHost("reports", PlatformSettings(env="test"))
    await relay.start()
    try:
        assert relay.health() == {"status": "ok", "relayed": 0, "waiting": None}
        # Told apart from the service's own connections in pg_stat_activity and the broker's logs.
        assert opened["names"] == ["nuanxin-reports-relay", "nuanxin-reports-relay"]
    finally:
        await relay.stop()
    assert opened["pool"].closed and opened["producer"].stopped
    assert relay.health()["status"] == "stopped"


class _FakeRelay:
    def __init__(self, name: str, status: str) -> None:
        self.name, self.status = name, status
        self.metrics = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def health(self) -> dict:
        return {"status": self.status, "relayed": 3, "waiting": None}


@pytest.mark.parametrize(
    ("statuses", "code", "overall"),
    [
        (("ok", "ok"), 200, "ok"),
        (("ok", "starting"), 503, "starting"),
        (("starting", "stopped"), 503, "stopped"),
    ],
)
async def test_the_relay_processs_health_is_ok_only_when_every_relay_runs(statuses, code, overall):
    relays = [_FakeRelay(name, status) for name, status in zip(("reports", "routing"), statuses, strict=True)]
    app = create_relay_app(relays)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relay") as client:
        response = await client.get("/healthz")
    assert response.status_code == code
    assert response.json()["status"] == overall
    assert response.json()["relays"]["reports"]["relayed"] == 3
