"""Volunteers on the real broker and PostgreSQL: roles, elderly privacy, visits, points and the audit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.events.base import EventBody
from shared.events.envelope import encode
from shared.events.volunteers import VisitScheduledV1, VolunteerRegisteredV1, VolunteerReviewedV1
from shared.kafka.producer import create_producer
from tests.support.kafka import read_events
from tests.support.system import RunningSystem, run_system

pytestmark = pytest.mark.integration
HOME = "500112002001"
OTHER = "500112003001"


async def until(call: Callable[[], Awaitable[httpx.Response]], check: Callable[[httpx.Response], bool],
                timeout: float = 30) -> httpx.Response:
    """Poll an endpoint until its answer passes the check."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await call()
        if check(response):
            return response
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting; last answer {response.status_code} {response.text}")
        await asyncio.sleep(0.1)


async def consumed(system: RunningSystem, topic: str, *, applied: int, duplicates: int) -> None:
    """Wait until the volunteers consumer of a topic has taken in (or dropped) that many events."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        seen = system.host("volunteers").health()["consumers"][topic]
        if seen["applied"] >= applied and seen["duplicates"] >= duplicates:
            assert seen == {"applied": applied, "duplicates": duplicates}
            return
        assert asyncio.get_running_loop().time() < deadline, f"{topic}: only {seen}"
        await asyncio.sleep(0.1)


async def publish_with_id(settings, body: EventBody, event_id: str, times: int) -> None:
    """Publish one event several times with the same CloudEvents id, as a relay retrying would."""
    producer = create_producer(settings.kafka_bootstrap_servers, client_id="test-dup")
    await producer.start()
    try:
        for _ in range(times):
            m = encode(body, source="/test", event_id=event_id)
            await (await producer.send(settings.topic(m.topic), value=m.value, key=m.key,
                                       headers=list(m.headers.items())))
    finally:
        await producer.stop()


async def pair_carer(system: RunningSystem, carer: str = "w-carer") -> tuple[str, str]:
    """Register and confirm an elderly_carer, register an elder, pair them; returns (elder, pairing)."""
    async with system.client(system.token(carer, "worker")) as worker, \
            system.client(system.token("c-1", "community_staff", community=HOME)) as staff:
        r = await worker.post("/volunteers/me", json={"community_code": HOME, "roles": ["elderly_carer"]})
        assert r.status_code == 201, r.text
        assert (await staff.post(f"/volunteers/{carer}/confirm", json={})).status_code == 200
        elder = await staff.post("/volunteers/elderly", json={
            "name": "王奶奶", "address": "双凤桥街道 3 栋 2 单元 501", "phone": "13800000000"})
        assert elder.status_code == 201, elder.text
        pairing = await staff.post("/volunteers/pairings",
                                   json={"elder_id": elder.json()["elder_id"], "volunteer_id": carer})
        assert pairing.status_code == 201, pairing.text
        return elder.json()["elder_id"], pairing.json()["pairing_id"]


async def test_roles_are_confirmed_by_the_community_and_elderly_addresses_stay_private(settings):
    async with run_system(settings, ["volunteers"]) as system:
        t = system.token
        worker = system.client(t("w-2", "worker"))
        staff = system.client(t("c-1", "community_staff", community=HOME))
        stranger_staff = system.client(t("c-9", "community_staff", community=OTHER))
        async with worker, staff, stranger_staff:
            bad = await worker.post("/volunteers/me", json={"community_code": HOME, "roles": ["astronaut"]})
            assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "roles"
            r = await worker.post("/volunteers/me", json={
                "community_code": HOME, "roles": ["hazard_inspector", "elderly_carer"]})
            assert {x["status"] for x in r.json()["roles"]} == {"pending"}
            moved = await worker.post(
                "/volunteers/me", json={"community_code": OTHER, "roles": ["hazard_inspector"]})
            assert moved.status_code == 409 and moved.json()["fields"][0]["field"] == "community_code"
            assert (await stranger_staff.post("/volunteers/w-2/confirm", json={})).status_code == 403
            no_reason = await staff.post("/volunteers/w-2/decline", json={"roles": ["elderly_carer"]})
            assert no_reason.status_code == 422 and no_reason.json()["fields"][0]["field"] == "reason"
            declined = await staff.post("/volunteers/w-2/decline",
                                        json={"roles": ["elderly_carer"], "reason": "training first"})
            confirmed = await staff.post("/volunteers/w-2/confirm", json={})
            roles = {x["role"]: (x["status"], x["reason"]) for x in confirmed.json()["roles"]}
            assert declined.status_code == confirmed.status_code == 200
            assert roles == {
                "hazard_inspector": ("confirmed", None), "elderly_carer": ("declined", "training first")}
            again = await staff.post("/volunteers/w-2/confirm", json={})
            assert again.status_code == 409
            assert (await worker.get("/volunteers/me")).json()["roles"] == confirmed.json()["roles"]
            assert [v["volunteer_id"] for v in (await staff.get("/volunteers")).json()] == ["w-2"]
            assert (await stranger_staff.get("/volunteers")).json() == []

        elder_id, pairing_id = await pair_carer(system)
        async with system.client(t("c-1", "community_staff", community=HOME)) as staff:
            refused = await staff.post(
                "/volunteers/pairings", json={"elder_id": elder_id, "volunteer_id": "w-2"})
            assert refused.status_code == 409 and "elderly_carer" in refused.json()["message"]

        readers = {
            "community": (t("c-1", "community_staff", community=HOME), "full"),
            "carer": (t("w-carer", "worker"), "full"),
            "other volunteer": (t("w-2", "worker"), None),
            "other community": (t("c-9", "community_staff", community=OTHER), None),
            "street": (t("s-1", "street_staff", street=HOME[:9]), "existence"),
            "district": (t("d-1", "district_staff"), "existence"),
        }
        for who, (token, sees) in readers.items():
            async with system.client(token) as client:
                one = await client.get(f"/volunteers/elderly/{elder_id}")
                listed = (await client.get("/volunteers/elderly")).json()
                pairings = (await client.get("/volunteers/pairings")).json()
                if sees is None:
                    assert one.status_code == 404 and listed == [] and pairings == [], who
                    continue
                body = one.json()
                assert body["pairing_id"] == pairing_id
                assert [p["pairing_id"] for p in pairings] == [pairing_id]
                assert listed == [body], who
                if sees == "full":
                    assert body["address"] == "双凤桥街道 3 栋 2 单元 501", who
                    assert body["phone"] == "13800000000", who
                else:
                    assert body["address"] is None and body["phone"] is None and body["name"], who

        now = datetime.now(UTC).replace(microsecond=0)
        window = {"window_start": now.isoformat(), "window_end": (now + timedelta(hours=4)).isoformat()}
        async with system.client(t("w-carer", "worker")) as carer, system.client(t("w-2", "worker")) as other:
            path = f"/volunteers/pairings/{pairing_id}/visits"
            assert (await other.post(path, json=window)).status_code == 404
            backwards = await carer.post(
                path, json={"window_start": window["window_end"], "window_end": window["window_start"]})
            assert backwards.status_code == 422 and backwards.json()["fields"][0]["field"] == "window_end"
            scheduled = await carer.post(f"/volunteers/pairings/{pairing_id}/visits", json=window)
            assert scheduled.status_code == 201, scheduled.text

        def complete(es) -> bool:
            kinds = [type(e.body) for e in es]
            return (kinds.count(VolunteerRegisteredV1), kinds.count(VolunteerReviewedV1),
                    kinds.count(VisitScheduledV1)) == (2, 3, 1)

        events = await read_events(settings, "volunteers", until=complete)
        (visit,) = [e for e in events if isinstance(e.body, VisitScheduledV1)]
        assert visit.body.model_dump() == {
            "visit_id": scheduled.json()["visit_id"], "pairing_id": pairing_id, "volunteer_id": "w-carer",
            "community_code": HOME, "window_start": now, "window_end": now + timedelta(hours=4)}
        assert visit.headers["ce_subject"] == pairing_id.encode()
        reviews = [(e.body.volunteer_id, e.body.decision, e.body.roles) for e in events
                   if isinstance(e.body, VolunteerReviewedV1)]
        assert ("w-2", "declined", ("elderly_carer",)) in reviews
        assert ("w-carer", "confirmed", ("elderly_carer",)) in reviews
        assert sum(isinstance(e.body, VolunteerRegisteredV1) for e in events) == 2

