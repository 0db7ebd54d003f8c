"""The wishes clock on the real broker and PostgreSQL: lapsed claims and wishes past their day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import ManualClock
from shared.events import topics
from shared.events.wishes import WishClaimReleasedV1, WishExpiredV1
from tests.integration.test_wishes import HOME, START, wish
from tests.support.kafka import read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def wait_for(client, path: str, predicate, timeout: float = 20) -> dict:
    """GET a path until its JSON satisfies the predicate (the sweeper runs on its own)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await client.get(path)).json()
        if predicate(body) or asyncio.get_running_loop().time() > deadline:
            return body
        await asyncio.sleep(0.2)


async def test_a_claim_not_handed_over_in_time_gives_its_shares_back(settings):
    clock = ManualClock(START)
    async with run_system(settings, ["wishes"], clock=clock) as system:
        poster = system.client(system.token("w-1", "worker"))
        staff = system.client(system.token("c-1", "community_staff", community=HOME))
        slow, quick, late = (
            system.client(system.token(d, "worker")) for d in ("d-slow", "d-quick", "d-late")
        )
        async with poster, staff, slow, quick, late:
            r = await poster.post("/wishes", json=wish(shares=3, wanted_by="2026-04-30"))
            wish_id = r.json()["wish_id"]
            await staff.post(f"/wishes/{wish_id}/approve")
            slow_claim = (await slow.post(f"/wishes/{wish_id}/claims", json={"shares": 2})).json()
            r = await quick.post(f"/wishes/{wish_id}/claims", json={"donor_kind": "merchant"})
            quick_claim = r.json()
            r = await late.post(f"/wishes/{wish_id}/claims", json={})
            assert r.status_code == 409 and r.json()["error"] == "no_shares_left"
            path = f"/wishes/{wish_id}/claims/{quick_claim['claim_id']}/hand-over"
            assert (await quick.post(path, json={"place": "Shop 3, Longxi Rd"})).status_code == 200

            clock.advance(timedelta(hours=47))
            await system.host("wishes").factory().sweeper.tick()
            still = (await poster.get(f"/wishes/{wish_id}")).json()
            assert (still["status"], still["shares_left"]) == ("fully_claimed", 0), "47 h: still held"

            clock.advance(timedelta(hours=2))
            after = await wait_for(poster, f"/wishes/{wish_id}", lambda w: w["status"] == "partly_claimed")
            assert (after["status"], after["shares_left"]) == ("partly_claimed", 2)
            states = {c["donor_id"]: (c["status"], c["end_reason"]) for c in after["claims"]}
            assert states == {"d-slow": ("released", "hold_expired"), "d-quick": ("handed_over", None)}
            r = await slow.post(f"/wishes/{wish_id}/claims/{slow_claim['claim_id']}/hand-over",
                                json={"station_id": "st-1"})
            assert r.status_code == 409 and "released" in r.json()["message"]

            # A donor who changes their mind withdraws; the shares are free at once.
            late_claim = (await late.post(f"/wishes/{wish_id}/claims", json={"shares": 2})).json()
            withdraw = f"/wishes/{wish_id}/claims/{late_claim['claim_id']}/withdraw"
            assert (await quick.post(withdraw)).status_code == 404, "another donor's claim is not visible"
            assert (await late.post(withdraw)).json()["status"] == "withdrawn"
            assert (await late.post(withdraw)).status_code == 409
            final = (await poster.get(f"/wishes/{wish_id}")).json()
        assert (final["status"], final["shares_left"]) == ("partly_claimed", 2)
        events = await read_events(settings, topics.WISHES, until=lambda es: len(es) >= 8)
    assert [e.type.split(".")[2] for e in events] == [
        "posted", "approved", "claimed", "claimed", "handed_over", "claim_released", "claimed",
        "claim_withdrawn",
    ]
    released = [e.body for e in events if isinstance(e.body, WishClaimReleasedV1)]
    assert [(r.claim_id, r.reason, r.shares, r.wish_status) for r in released] == [
        (slow_claim["claim_id"], "hold_expired", 2, "partly_claimed")]
    assert released[0].released_at == START + timedelta(hours=49)


async def test_a_wish_past_its_day_expires_and_releases_its_claims(settings):
    clock = ManualClock(START)
    overrides = {"wishes": {"claim_hold_hours": 1000}}  # only the wish's own day may end these claims
    async with run_system(settings, ["wishes"], clock=clock, overrides=overrides) as system:
        poster = system.client(system.token("w-1", "worker"))
        staff = system.client(system.token("c-1", "community_staff", community=HOME))
        donor = system.client(system.token("d-1", "worker"))
        public = system.client()
        async with poster, staff, donor, public:
            ids = []
            for title in ("claimed", "never reviewed", "handed over"):
                r = await poster.post("/wishes", json=wish(title=title, shares=2, wanted_by="2026-03-04"))
                ids.append(r.json()["wish_id"])
            claimed, unreviewed, handed = ids
            for wish_id in (claimed, handed):
                await staff.post(f"/wishes/{wish_id}/approve")
            held = (await donor.post(f"/wishes/{claimed}/claims", json={})).json()
            given = (await donor.post(f"/wishes/{handed}/claims", json={"whole": True})).json()
            path = f"/wishes/{handed}/claims/{given['claim_id']}/hand-over"
            assert (await donor.post(path, json={"station_id": "st-2"})).status_code == 200

            # The wish is wanted *by* 4 March: it lives until midnight in Chongqing (16:00 UTC).
            clock.set(datetime(2026, 3, 4, 15, 59, tzinfo=UTC))
            await system.host("wishes").factory().sweeper.tick()
            assert (await poster.get(f"/wishes/{claimed}")).json()["status"] == "partly_claimed"

            clock.set(datetime(2026, 3, 4, 16, 0, tzinfo=UTC))
            gone = await wait_for(poster, f"/wishes/{claimed}", lambda w: w["status"] == "expired")
            assert gone["status"] == "expired" and gone["shares_left"] == 2
            assert [(c["status"], c["end_reason"]) for c in gone["claims"]] == [("released", "wish_expired")]
            assert (await poster.get(f"/wishes/{unreviewed}")).json()["status"] == "expired"
            assert (await staff.post(f"/wishes/{unreviewed}/approve")).status_code == 409
            await system.host("wishes").factory().sweeper.tick()
            waiting = (await poster.get(f"/wishes/{handed}")).json()
            assert waiting["status"] == "fully_claimed", "a hand-over waiting for confirmation holds it open"
            r = await poster.post(f"/wishes/{handed}/claims/{given['claim_id']}/confirm")
            assert r.json()["status"] == "confirmed"
            assert (await poster.get(f"/wishes/{handed}")).json()["status"] == "fulfilled"
            assert [w["title"] for w in (await public.get("/wishes")).json()] == []
        events = await read_events(settings, topics.WISHES, until=lambda es: sum(
            isinstance(e.body, WishExpiredV1) for e in es) >= 2)
    expired = {e.body.wish_id: e.body for e in events if isinstance(e.body, WishExpiredV1)}
    assert {k: v.from_status for k, v in expired.items()} == {
        claimed: "partly_claimed", unreviewed: "pending_review"}
    released = [e.body for e in events if isinstance(e.body, WishClaimReleasedV1)]
    assert [(r.claim_id, r.reason, r.wish_status) for r in released] == [
        (held["claim_id"], "wish_expired", "expired")]
