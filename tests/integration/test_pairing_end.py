"""Ending a volunteer-elder pairing on the real broker and PostgreSQL: who may, what it frees, and
that the visits it still owed raise no missed-visit alert in routing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import ManualClock
from shared.events.volunteers import PairingEndedV1, VisitScheduledV1
from tests.integration.test_volunteers import HOME, OTHER, consumed, pair_carer, until
from tests.support.kafka import publish, read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def test_ending_a_pairing_frees_the_elder_and_calls_off_the_visits_it_owed(settings):
    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    window = {"window_start": (now - timedelta(minutes=5)).isoformat(),
              "window_end": (now + timedelta(hours=2)).isoformat()}
    async with run_system(settings, ["reports", "routing", "volunteers"], clock=clock) as system:
        t = system.token
        elder_id, ended = await pair_carer(system)
        staff = system.client(t("c-1", "community_staff", community=HOME))
        carer = system.client(t("w-carer", "worker"))
        async with staff, carer:
            # A second elder with the same carer: the pairing that stays, whose window must alert.
            other = await staff.post("/volunteers/elderly", json={
                "name": "李爷爷", "address": "双凤桥街道 5 栋 101", "phone": "13900000000"})
            kept = (await staff.post("/volunteers/pairings", json={
                "elder_id": other.json()["elder_id"], "volunteer_id": "w-carer"})).json()["pairing_id"]
            for pairing in (ended, kept):
                r = await carer.post(f"/volunteers/pairings/{pairing}/visits", json=window)
                assert r.status_code == 201, r.text
            await until(lambda: staff.get("/checkins"), lambda r: len(r.json()) == 2)

            end = f"/volunteers/pairings/{ended}/end"
            for who, token, status in (
                ("the carer", t("w-carer", "worker"), 403),
                ("street staff", t("s-1", "street_staff", street=HOME[:9]), 403),
                ("another community", t("c-9", "community_staff", community=OTHER), 404),
            ):
                async with system.client(token) as client:
                    refused = await client.post(end, json={"reason": "搬走了"})
                    assert refused.status_code == status, (who, refused.text)
            no_reason = await staff.post(end, json={"reason": ""})
            assert no_reason.status_code == 422 and no_reason.json()["fields"][0]["field"] == "reason"

            done = await staff.post(end, json={"reason": "志愿者搬离社区"})
            assert done.status_code == 200, done.text
            assert datetime.fromisoformat(done.json()["ended_at"]) == now
            again = await staff.post(end, json={"reason": "again"})
            assert again.status_code == 409 and "ended on" in again.json()["message"]

            # The elder is free to pair again; the ended pairing takes no more visits.
            assert [p["pairing_id"] for p in (await staff.get("/volunteers/pairings")).json()] == [kept]
            assert (await staff.get(f"/volunteers/elderly/{elder_id}")).json()["pairing_id"] is None
            late = await carer.post(f"/volunteers/pairings/{ended}/visits", json=window)
            assert late.status_code == 404 and "ended" in late.json()["message"]
            # Its history stays readable for the community.
            history = await staff.get(f"/volunteers/pairings/{ended}/visits")
            assert history.status_code == 200 and len(history.json()) == 1

            # Routing calls off the ended pairing's open window, and only that one.
            windows = await until(lambda: staff.get("/checkins"),
                                  lambda r: any(w["called_off_at"] for w in r.json()))
            by_pairing = {w["pairing_id"]: w for w in windows.json()}
            assert datetime.fromisoformat(by_pairing[ended]["called_off_at"]) == now
            assert by_pairing[kept]["called_off_at"] is None

            # A check-in for the ended pairing after its end is logged by neither service.
            checkin = await carer.post("/reports", json={
                "kind": "elderly_checkin", "category": "visited_fine", "pairing_id": ended,
                "location": {"lon": 106.55, "lat": 29.72}})
            assert checkin.status_code == 201, checkin.text
            await consumed(system, "reports", applied=1, duplicates=0)
            assert (await staff.get(f"/volunteers/pairings/{ended}/visits")).json()[0]["report_id"] is None

            # Past both windows: the kept pairing's missed visit alerts; the ended one's does not.
            clock.advance(timedelta(hours=3))
            windows = await until(lambda: staff.get("/checkins"),
                                  lambda r: any(w["alerted_case"] for w in r.json()))
            by_pairing = {w["pairing_id"]: w for w in windows.json()}
            assert by_pairing[kept]["alerted_case"]
            assert by_pairing[ended]["alerted_case"] is None and by_pairing[ended]["visited_by"] is None
            cases = (await staff.get("/cases")).json()
            assert [c["category"] for c in cases] == ["missed_checkin"]

            # A visit of the ended pairing published after its end (a replayed dead letter) comes
            # called off; staff cannot schedule one for it in routing either.
            late_visit = VisitScheduledV1(
                visit_id=str(uuid.uuid4()), pairing_id=ended, volunteer_id="w-carer", community_code=HOME,
                window_start=clock.now(), window_end=clock.now() + timedelta(hours=1))
            await publish(settings, [late_visit])
            windows = await until(lambda: staff.get("/checkins"),
                                  lambda r: any(w["window_id"] == late_visit.visit_id for w in r.json()))
            (replayed,) = [w for w in windows.json() if w["window_id"] == late_visit.visit_id]
            assert datetime.fromisoformat(replayed["called_off_at"]) == now
            refused = await staff.post("/checkins", json={
                "pairing_id": ended, "volunteer_id": "w-carer", "community_code": HOME,
                "window_start": late_visit.window_start.isoformat(),
                "window_end": late_visit.window_end.isoformat()})
            assert refused.status_code == 422 and "ended on" in refused.json()["message"]

            repaired = await staff.post("/volunteers/pairings",
                                        json={"elder_id": elder_id, "volunteer_id": "w-carer"})
            assert repaired.status_code == 201 and repaired.json()["pairing_id"] != ended

        events = await read_events(settings, "volunteers",
                                   until=lambda es: any(isinstance(e.body, PairingEndedV1) for e in es))
        (event,) = [e for e in events if isinstance(e.body, PairingEndedV1)]
        assert event.body.model_dump() == {"pairing_id": ended, "volunteer_id": "w-carer",
                                           "community_code": HOME, "ended_by": "c-1", "ended_at": now}
        assert event.headers["ce_subject"] == ended.encode()
