"""Many donors claim the last shares at the same moment through the real HTTP API: none is oversold."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest

from shared.events import topics
from shared.events.wishes import WishClaimedV1
from tests.integration.test_wishes import HOME, wish
from tests.support.kafka import read_events
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def _claim_all_at_once(system, wish_id: str, donors: int, body: dict) -> list:
    clients = [system.client(system.token(f"d-{n}", "worker")) for n in range(donors)]
    try:
        return await asyncio.gather(*(c.post(f"/wishes/{wish_id}/claims", json=body) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def test_concurrent_claims_take_exactly_the_shares_there_are(settings):
    async with run_system(settings, ["wishes"]) as system:
        poster = system.client(system.token("w-1", "worker"))
        staff = system.client(system.token("c-1", "community_staff", community=HOME))
        async with poster, staff:
            five = (await poster.post("/wishes", json=wish(shares=5))).json()["wish_id"]
            whole = (await poster.post("/wishes", json=wish(shares=3, title="School bag"))).json()["wish_id"]
            for wish_id in (five, whole):
                assert (await staff.post(f"/wishes/{wish_id}/approve")).status_code == 200

            one_each = await _claim_all_at_once(system, five, 20, {"shares": 1})
            everything = await _claim_all_at_once(system, whole, 10, {"whole": True})
            views = [(await poster.get(f"/wishes/{w}")).json() for w in (five, whole)]

        assert Counter(r.status_code for r in one_each) == {201: 5, 409: 15}
        assert Counter(r.status_code for r in everything) == {201: 1, 409: 9}
        refusals = {r.json()["message"] for r in one_each + everything if r.status_code == 409}
        assert refusals == {"no shares left: every share of this wish is claimed"}
        assert [(v["status"], v["shares_left"], len(v["claims"])) for v in views] == [
            ("fully_claimed", 0, 5), ("fully_claimed", 0, 1)]
        assert sum(c["shares"] for c in views[1]["claims"]) == 3

        conn = await asyncpg.connect(settings.database_url, server_settings={"search_path": "wishes"})
        try:
            rows = await conn.fetch(
                "SELECT w.shares_taken, sum(c.shares) AS claimed FROM wishes w JOIN claims c USING (wish_id) "
                "WHERE c.status = 'held' GROUP BY w.wish_id, w.shares_taken"
            )
        finally:
            await conn.close()
        assert sorted((r["shares_taken"], r["claimed"]) for r in rows) == [(3, 3), (5, 5)]

        events = await read_events(settings, topics.WISHES, until=lambda es: sum(
            isinstance(e.body, WishClaimedV1) for e in es) >= 6)
    claimed = [e.body for e in events if isinstance(e.body, WishClaimedV1) and e.body.wish_id == five]
    assert sorted(c.shares_left for c in claimed) == [0, 1, 2, 3, 4]
