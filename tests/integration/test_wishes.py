"""Micro-wishes on the real broker and PostgreSQL: the journey, review, privacy and jurisdiction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Principal
from shared.clock import ManualClock
from shared.events import topics
from shared.events.wishes import (
    WishApprovedV1,
    WishClaimedV1,
    WishCompletedV1,
    WishFulfilledV1,
    WishHandedOverV1,
    WishPostedV1,
    WishRejectedV1,
    WishThankedV1,
)
from tests.support.kafka import read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration

HOME = "500112002001"
OTHER = "500112003004"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Chongqing


def wish(**overrides) -> dict:
    """A valid wish body."""
    body = {
        "title": "A winter coat, size L", "details": "Waterproof if possible", "why": "Night shifts are cold",
        "category": "clothing", "wanted_by": _days_ahead(10), "handover": "Community Centre",
        "community_code": HOME, "shares": 1,
    }
    return body | overrides


async def test_a_wish_goes_from_posting_to_thanks_and_every_step_is_an_event(settings):
    clock = ManualClock(START)
    async with run_system(settings, ["wishes"], clock=clock) as system:
        poster = system.client(system.token("w-1", "worker"))
        staff = system.client(system.token("c-1", "community_staff", community=HOME))
        donor = system.client(system.tokens.issue(_donor("d-1", {"elderly_carer"})))
        public = system.client()
        async with poster, staff, donor, public:
            r = await poster.post("/wishes", json=wish(wanted_by="2026-03-20"))
            assert r.status_code == 201, r.text
            posted = r.json()
            wish_id = posted["wish_id"]
            assert (posted["status"], posted["poster_id"], posted["handover"]) == (
                "pending_review", "w-1", "community centre")
            assert (await public.get("/wishes")).json() == [], "not public before review"
            assert (await donor.get(f"/wishes/{wish_id}")).status_code == 404
            assert [w["wish_id"] for w in (await staff.get("/wishes/review")).json()] == [wish_id]

            r = await staff.post(f"/wishes/{wish_id}/approve")
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "open"
            wall = (await public.get("/wishes")).json()
            assert [(w["wish_id"], w["shares_left"]) for w in wall] == [(wish_id, 1)]

            clock.advance(timedelta(hours=1))
            r = await donor.post(f"/wishes/{wish_id}/claims", json={"whole": True})
            assert r.status_code == 201, r.text
            claim = r.json()
            claim_id = claim["claim_id"]
            assert (claim["status"], claim["shares"], claim["donor_kind"]) == ("held", 1, "volunteer")
            assert datetime.fromisoformat(claim["held_until"]) == clock.now() + timedelta(hours=48)
            assert set(claim["allowed_actions"]) == {"hand_over", "withdraw"}

            act = f"/wishes/{wish_id}/claims/{claim_id}"
            r = await poster.post(f"{act}/confirm")
            assert r.status_code == 409
            assert r.json()["message"] == (
                "cannot confirm receipt of a claim that is held; possible now: hand_over, withdraw")
            assert (await donor.post(f"{act}/hand-over", json={})).status_code == 422
            r = await donor.post(f"{act}/hand-over", json={"station_id": "st-0007"})
            assert r.json()["status"] == "handed_over", r.text
            assert (await donor.post(f"{act}/confirm")).status_code == 403, "only the poster confirms"

            clock.advance(timedelta(hours=2))
            r = await poster.post(f"{act}/confirm")
            assert r.json()["status"] == "confirmed", r.text
            assert r.json()["allowed_actions"] == ["thank"]
            r = await poster.post(f"{act}/thank", json={"message": "  谢谢您，外套很暖和！ "})
            assert r.json()["thanks_message"] == "谢谢您，外套很暖和！", r.text
            r = await poster.post(f"{act}/thank", json={"message": "again"})
            assert r.status_code == 409 and "already been thanked" in r.json()["message"]

            detail = (await poster.get(f"/wishes/{wish_id}")).json()
            given = (await donor.get("/wishes/claims/mine")).json()
            stats = (await staff.get("/wishes/stats")).json()
            assert (await public.get("/wishes")).json() == [], "a fulfilled wish leaves the wall"
        assert detail["status"] == "fulfilled" and detail["shares_fulfilled"] == 1
        assert [h["action"] for h in detail["history"]] == [
            "post", "approve", "claim", "hand_over", "confirm", "thank"]
        assert [(c["claim_id"], c["thanked_at"] is not None) for c in detail["claims"]] == [(claim_id, True)]
        assert [(g["wish_title"], g["wish_status"], g["status"], g["wish_handover"]) for g in given] == [
            ("A winter coat, size L", "fulfilled", "confirmed", "community centre")]
        assert stats["total"]["fulfilled"] == 1
        assert stats["communities"] == [stats["total"] | {"community_code": HOME}]
        assert stats["total"]["median_hours_to_fulfil"] == stats["total"]["avg_hours_to_fulfil"] == 3.0

        events = await read_events(settings, topics.WISHES, until=lambda es: len(es) >= 7)
    assert [type(e.body) for e in events] == [
        WishPostedV1, WishApprovedV1, WishClaimedV1, WishHandedOverV1, WishFulfilledV1, WishCompletedV1,
        WishThankedV1,
    ]
    assert {e.body.partition_key() for e in events} == {wish_id}
    fulfilled = events[4].body
    assert (fulfilled.claim_id, fulfilled.donor_id, fulfilled.poster_id, fulfilled.shares,
            fulfilled.handover_station_id, fulfilled.fulfilled_at) == (
        claim_id, "d-1", "w-1", 1, "st-0007", START + timedelta(hours=3))
    assert events[2].body.wish_status == "fully_claimed" and events[2].body.shares_left == 0


async def test_a_rejected_wish_tells_the_worker_why_and_never_goes_public(settings):
    async with run_system(settings, ["wishes"]) as system:
        poster = system.client(system.token("w-1", "worker"))
        street = system.client(system.token("s-1", "street_staff", street=HOME[:9]))
        public = system.client()
        async with poster, street, public:
            r = await poster.post("/wishes", json=wish(category="legal_help", title="Unpaid wages"))
            wish_id = r.json()["wish_id"]
            r = await street.post(f"/wishes/{wish_id}/reject", json={"reason": "  "})
            assert r.status_code == 422 and r.json()["fields"][0]["field"] == "reason"
            reason = "Please go to the trade-union legal desk at the Longxi station; it is free."
            r = await street.post(f"/wishes/{wish_id}/reject", json={"reason": reason})
            assert r.status_code == 200, r.text
            mine = (await poster.get("/wishes/mine")).json()
            assert [(w["status"], w["review_reason"]) for w in mine] == [("rejected", reason)]
            r = await street.post(f"/wishes/{wish_id}/approve")
            assert r.status_code == 409
            assert r.json()["message"] == (
                "cannot approve a wish that is rejected; possible now: nothing, rejected is final")
            assert (await public.get("/wishes")).json() == []
        events = await read_events(settings, topics.WISHES, until=lambda es: len(es) >= 2)
    assert [type(e.body) for e in events] == [WishPostedV1, WishRejectedV1]
    assert (events[1].body.reason, events[1].body.reviewer_role) == (reason, "street_staff")


async def test_the_wall_never_shows_who_wished(settings):
    async with run_system(settings, ["wishes"]) as system:
        poster = system.client(system.token("w-secret-77", "worker"))
        staff = system.client(system.token("c-1", "district_staff"))
        donor = system.client(system.token("d-1", "worker"))
        public = system.client()
        async with poster, staff, donor, public:
            for n in range(3):
                r = await poster.post("/wishes", json=wish(title=f"Wish {n}", shares=2, category="repair"))
                await staff.post(f"/wishes/{r.json()['wish_id']}/approve")
            wall = await public.get("/wishes", params={"category": "repair"})
            seen_by_donor = await donor.get(f"/wishes/{r.json()['wish_id']}")
            seen_by_poster = await poster.get(f"/wishes/{r.json()['wish_id']}")
            other_category = (await public.get("/wishes", params={"category": "health"})).json()
    assert wall.status_code == 200 and len(wall.json()) == 3
    assert "w-secret-77" not in wall.text
    assert all(set(card) == {"wish_id", "community_code", "category", "title", "status", "wanted_by",
                             "shares", "shares_left", "approved_at"} for card in wall.json())
    assert seen_by_donor.json()["poster_id"] is None and "w-secret-77" not in seen_by_donor.text
    assert seen_by_poster.json()["poster_id"] == "w-secret-77"
    assert other_category == []


async def test_staff_of_another_community_can_neither_see_nor_review_a_wish(settings):
    async with run_system(settings, ["wishes"]) as system:
        poster = system.client(system.token("w-1", "worker"))
        stranger = system.client(system.token("c-9", "community_staff", community=OTHER))
        other_street = system.client(system.token("s-9", "street_staff", street=OTHER[:9]))
        owner = system.client(system.token("c-1", "community_staff", community=HOME))
        async with poster, stranger, other_street, owner:
            r = await poster.post("/wishes", json=wish(wanted_by="2026-01-01"))
            assert r.status_code == 422 and r.json()["fields"][0]["field"] == "wanted_by"
            r = await poster.post("/wishes", json=wish(community_code="5001"))
            assert r.status_code == 422 and r.json()["fields"][0]["field"] == "community_code"
            wish_id = (await poster.post("/wishes", json=wish(wanted_by="2099-01-01"))).json()
            assert wish_id["fields"][0]["field"] == "wanted_by", "too far ahead"
            wish_id = (await poster.post("/wishes", json=wish(wanted_by=_days_ahead(5)))).json()["wish_id"]

            assert (await stranger.post(f"/wishes/{wish_id}/approve")).status_code == 404
            assert (await other_street.post(f"/wishes/{wish_id}/approve")).status_code == 404
            assert (await stranger.get("/wishes/review")).json() == []
            assert (await stranger.get("/wishes/stats", params={"community": HOME})).status_code == 403
            r = await poster.post(f"/wishes/{wish_id}/approve")
            assert r.status_code == 403, "workers don't review"
            assert (await owner.post(f"/wishes/{wish_id}/approve")).status_code == 200
            # Once public the stranger can see it, but reviewing is still not theirs.
            r = await stranger.post(f"/wishes/{wish_id}/reject", json={"reason": "not ours"})
            assert r.status_code == 403
            assert (await owner.post("/wishes/not-a-uuid/approve")).status_code == 404
            stats = (await stranger.get("/wishes/stats")).json()
    assert stats["communities"] == [] and stats["total"]["open"] == 0


def _donor(subject: str, roles: set[str]) -> Principal:
    return Principal(subject, "worker", volunteer_roles=frozenset(roles))


def _days_ahead(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()
