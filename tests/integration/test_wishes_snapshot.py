"""A wish's page is read as of one moment, even while a donor claims between its statements."""

from __future__ import annotations

import pytest

from services.wishes.storage.postgres import PostgresWishQueries
from tests.integration.test_wishes import HOME, wish
from tests.support.meanwhile import Meanwhile
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def test_a_wish_its_claims_and_its_trail_are_read_as_of_one_moment(settings):
    async with run_system(settings, ["wishes"]) as system:
        poster = system.client(system.token("w-1", "worker"))
        staff = system.client(system.token("c-1", "community_staff", community=HOME))
        donor = system.client(system.token("d-1", "worker"))
        async with poster, staff, donor:
            wish_id = (await poster.post("/wishes", json=wish(shares=3))).json()["wish_id"]
            assert (await staff.post(f"/wishes/{wish_id}/approve")).status_code == 200

            async def claim() -> None:
                answer = await donor.post(f"/wishes/{wish_id}/claims", json={"shares": 2})
                assert answer.status_code == 201, answer.text

            pool = system.host("wishes").runtime.pool
            meanwhile = Meanwhile(pool, claim)
            found = await PostgresWishQueries(pool=meanwhile).detail(wish_id)
            assert meanwhile.changed, "a donor claimed between the reads"
            assert found is not None
            assert found.wish["shares_taken"] == 0
            assert found.claims == [], "the claims as of the wish row"
            assert [h["action"] for h in found.history][-1] == "approve"

            now = await PostgresWishQueries(pool=pool).detail(wish_id)
            assert now is not None and now.wish["shares_taken"] == 2
            assert [c["shares"] for c in now.claims] == [2]
            # The page itself, through the API, agrees with itself the same way.
            view = (await poster.get(f"/wishes/{wish_id}")).json()
            assert view["shares_left"] == 1 and len(view["claims"]) == 1
