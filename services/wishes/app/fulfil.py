"""Use cases: the donor marks the hand-over done, the worker confirms receipt and may say thanks."""

from __future__ import annotations

import asyncpg

from services.wishes.app.changes import Actor, NotYours, commit_change
from services.wishes.app.claim import locked_claim, shares_of
from services.wishes.domain import claims, lifecycle
from services.wishes.storage.writes import update_claim, update_wish
from shared.auth import Principal
from shared.clock import Clock
from shared.events.wishes import WishCompletedV1, WishFulfilledV1, WishHandedOverV1, WishThankedV1


class FulfilWish:
    """The claim's way from held to confirmed, and the thanks after it; each step one transaction."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def hand_over(
        self, wish_id: str, claim_id: str, principal: Principal, *, station_id: str | None, place: str | None
    ) -> asyncpg.Record:
        """The donor says it is handed over (at a warm station or a named place)."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            wish, claim = await locked_claim(conn, wish_id, claim_id, principal)
            if claim["donor_id"] != principal.subject:
                raise NotYours("only the donor who made the claim marks it handed over")
            ct = claims.apply(claim["status"], "hand_over", actor="donor")
            done = await update_claim(
                conn, claim_id, status=ct.to_status, handed_over_at=now, handover_station_id=station_id,
                handover_place=place,
            )
            event = WishHandedOverV1(
                wish_id=wish_id, community_code=wish["community_code"], claim_id=claim_id,
                donor_id=claim["donor_id"], poster_id=wish["poster_id"], shares=claim["shares"],
                handover_station_id=station_id, handover_place=place, handed_over_at=now,
            )
            await commit_change(
                conn, wish_id=wish_id, claim_id=claim_id, action="hand_over", from_status=wish["status"],
                to_status=wish["status"], actor=Actor.of(principal), at=now, events=[event],
                note=f"at {station_id or place}",
            )
        return done

    async def confirm(self, wish_id: str, claim_id: str, principal: Principal) -> asyncpg.Record:
        """The worker confirms receipt: the claim's shares are fulfilled, and maybe the whole wish."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            wish, claim = await locked_claim(conn, wish_id, claim_id, principal)
            if wish["poster_id"] != principal.subject:
                raise NotYours("only the worker who posted the wish confirms receipt")
            ct = claims.apply(claim["status"], "confirm", actor="poster")
            after = shares_of(wish).fulfil(claim["shares"])
            t = lifecycle.apply(wish["status"], "confirm", actor="poster", shares=after)
            done = await update_claim(conn, claim_id, status=ct.to_status, confirmed_at=now)
            complete = t.to_status == "fulfilled"
            ends = {"fulfilled_at": now, "ended_at": now} if complete else {}
            await update_wish(
                conn, wish_id, now, status=t.to_status, shares_fulfilled=after.fulfilled, **ends
            )
            events: list = [WishFulfilledV1(
                wish_id=wish_id, claim_id=claim_id, donor_id=claim["donor_id"], poster_id=wish["poster_id"],
                community_code=wish["community_code"], shares=claim["shares"],
                handover_station_id=claim["handover_station_id"], fulfilled_at=now,
            )]
            if complete:
                donors = await conn.fetchval(
                    "SELECT count(*) FROM claims WHERE wish_id = $1 AND status = 'confirmed'", wish["wish_id"]
                )
                events.append(WishCompletedV1(
                    wish_id=wish_id, community_code=wish["community_code"], poster_id=wish["poster_id"],
                    shares=after.total, donors=donors, approved_at=wish["approved_at"], completed_at=now,
                ))
            await commit_change(
                conn, wish_id=wish_id, claim_id=claim_id, action="confirm", from_status=t.from_status,
                to_status=t.to_status, actor=Actor.of(principal), at=now, events=events,
            )
        return done

    async def thank(self, wish_id: str, claim_id: str, principal: Principal, message: str) -> asyncpg.Record:
        """The worker thanks the donor of a received claim, once."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            wish, claim = await locked_claim(conn, wish_id, claim_id, principal)
            if wish["poster_id"] != principal.subject:
                raise NotYours("only the worker who posted the wish thanks its donors")
            text = claims.check_thanks(claim["status"], claim["thanked_at"] is not None, message)
            done = await update_claim(conn, claim_id, thanked_at=now, thanks_message=text)
            event = WishThankedV1(
                wish_id=wish_id, community_code=wish["community_code"], claim_id=claim_id,
                donor_id=claim["donor_id"], message=text, thanked_at=now,
            )
            await commit_change(
                conn, wish_id=wish_id, claim_id=claim_id, action="thank", from_status=wish["status"],
                to_status=wish["status"], actor=Actor.of(principal), at=now, events=[event], note=text,
            )
        return done
