"""The volunteers stream reaches people through notify: staff hear of a new volunteer, the
volunteer hears how their roles were decided, of visits scheduled for them and of a pairing's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_volunteers import HOME, pair_carer, until
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def test_staff_and_the_volunteer_hear_of_each_step(settings):
    async with run_system(settings, ["volunteers", "notify"]) as system:
        t = system.token
        _, pairing_id = await pair_carer(system)
        now = datetime.now(UTC).replace(microsecond=0)
        staff = system.client(t("c-1", "community_staff", community=HOME))
        carer = system.client(t("w-carer", "worker"))
        other = system.client(t("w-other", "worker"))
        async with staff, carer, other:
            window = {"window_start": now.isoformat(), "window_end": (now + timedelta(hours=4)).isoformat()}
            scheduled = await staff.post(f"/volunteers/pairings/{pairing_id}/visits", json=window)
            assert scheduled.status_code == 201, scheduled.text
            r = await staff.post(f"/volunteers/pairings/{pairing_id}/end", json={"reason": "家属接回同住"})
            assert r.status_code == 200, r.text

            mine = await until(lambda: carer.get("/notify/inbox"), lambda r: len(r.json()) == 3)
            # The review and the pairing's events have different keys: their order may differ.
            by_kind = {n["event_type"]: n for n in mine.json()}
            assert {(k, n["reason"]) for k, n in by_kind.items()} == {
                ("volunteer.reviewed", "volunteer"), ("visit.scheduled", "carer"), ("pairing.ended", "carer")}
            reviewed, visit, ended = (by_kind[k] for k in
                                      ("volunteer.reviewed", "visit.scheduled", "pairing.ended"))
            # The latest first, for a phone's screen.
            latest = (await carer.get("/notify/inbox", params={"order": "newest", "limit": 2})).json()
            assert [n["id"] for n in latest] == [n["id"] for n in reversed(mine.json())][:2]
            assert reviewed["title"].startswith("您的志愿者角色已确认")
            assert reviewed["data"]["decision"] == "confirmed"
            assert visit["data"]["pairing_id"] == pairing_id and "address" not in visit["data"]
            assert set(ended["data"]) == {
                "pairing_id", "volunteer_id", "community_code", "ended_by", "ended_at"}
            assert (ended["data"]["pairing_id"], ended["data"]["ended_by"]) == (pairing_id, "c-1")
            assert "家属" not in str(mine.json()), "the reason stays with the volunteers service"

            theirs = await until(lambda: staff.get("/notify/inbox"), lambda r: len(r.json()) >= 1)
            assert [(n["event_type"], n["reason"], n["data"]["volunteer_id"]) for n in theirs.json()] == [
                ("volunteer.registered", "review", "w-carer")]
            assert (await other.get("/notify/inbox")).json() == []
