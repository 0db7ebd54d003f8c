"""Use cases: a donor claims shares of a wish (held for a while), or withdraws the claim."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from services.wishes.app.changes import (
    Actor,
    NotYours,
    WishNotFound,
    commit_change,
    found,
    sees_claim,
)
from services.wishes.domain import claims, lifecycle
from services.wishes.domain.shares import Shares
from services.wishes.storage.writes import insert_claim, lock_claim, lock_wish, update_claim, update_wish
from shared.auth import Principal
from shared.clock import Clock
from shared.events.wishes import WishClaimedV1, WishClaimWithdrawnV1
from shared.ids import new_id


@dataclass(frozen=True)
class ClaimRequest:
    """What the donor asked for: n shares, or every share left (``whole``)."""

    wish_id: str
    donor_kind: str
    shares: int = 1
    whole: bool = False


def shares_of(wish: asyncpg.Record) -> Shares:
    """The wish row's share counts."""
    return Shares(wish["shares"], wish["shares_taken"], wish["shares_fulfilled"])


class ClaimWish:
    """Lock the wish row, take the shares or refuse: two donors can never both take the last share."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock, hold: timedelta) -> None:
        self._pool = pool
        self._clock = clock
        self._hold = hold

    async def __call__(self, request: ClaimRequest, principal: Principal) -> asyncpg.Record:
        """The new claim; raises WishNotFound, NotYours, IllegalTransition or NoSharesLeft."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            # FOR UPDATE serialises claims on one wish: the second donor reads the counts the
            # first one left, so the share arithmetic below sees the truth.
            wish = found(await lock_wish(conn, request.wish_id), principal)
            if wish["poster_id"] == principal.subject:
                raise NotYours("you cannot claim your own wish")
            before = after = shares_of(wish)
            if wish["status"] in lifecycle.LIVE:
                # Shares first, so a donor who lost the race hears "no shares left", not a status.
                after = before.take(max(before.left, 1) if request.whole else request.shares)
            t = lifecycle.apply(wish["status"], "claim", actor="donor", shares=after)
            claim_id = new_id()
            claim = await insert_claim(
                conn, claim_id=uuid.UUID(claim_id), wish_id=wish["wish_id"], donor_id=principal.subject,
                donor_kind=request.donor_kind, shares=after.taken - before.taken, status="held",
                held_until=now + self._hold, claimed_at=now,
            )
            await update_wish(conn, request.wish_id, now, status=t.to_status, shares_taken=after.taken)
            event = WishClaimedV1(
                wish_id=request.wish_id, community_code=wish["community_code"], claim_id=claim_id,
                donor_id=principal.subject, donor_kind=request.donor_kind, shares=claim["shares"],
                shares_left=after.left, wish_status=t.to_status, held_until=claim["held_until"],
                claimed_at=now,
            )
            await commit_change(
                conn, wish_id=request.wish_id, claim_id=claim_id, action="claim",
                from_status=t.from_status, to_status=t.to_status, actor=Actor.of(principal), at=now,
                events=[event], note=f"{claim['shares']} of {after.total} shares",
            )
        return claim


async def locked_claim(
    conn: asyncpg.Connection, wish_id: str, claim_id: str, principal: Principal
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The wish and one of its claims, both locked, if the caller may see that claim."""
    wish = await lock_wish(conn, wish_id)
    claim = await lock_claim(conn, wish_id, claim_id) if wish is not None else None
    if wish is None or claim is None or not sees_claim(principal, wish, claim):
        raise WishNotFound
    return wish, claim


class WithdrawClaim:
    """The donor gives the shares back before handing over."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def __call__(self, wish_id: str, claim_id: str, principal: Principal) -> asyncpg.Record:
        """The withdrawn claim; raises WishNotFound, NotYours or an illegal-transition error."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            wish, claim = await locked_claim(conn, wish_id, claim_id, principal)
            if claim["donor_id"] != principal.subject:
                raise NotYours("only the donor who made a claim can withdraw it")
            ct = claims.apply(claim["status"], "withdraw", actor="donor")
            after = shares_of(wish).give_back(claim["shares"])
            t = lifecycle.apply(wish["status"], "give_back", actor="donor", shares=after)
            done = await update_claim(
                conn, claim_id, status=ct.to_status, ended_at=now, end_reason="withdrawn"
            )
            await update_wish(conn, wish_id, now, status=t.to_status, shares_taken=after.taken)
            event = WishClaimWithdrawnV1(
                wish_id=wish_id, community_code=wish["community_code"], claim_id=claim_id,
                donor_id=claim["donor_id"], shares=claim["shares"], wish_status=t.to_status,
                withdrawn_at=now,
            )
            await commit_change(
                conn, wish_id=wish_id, claim_id=claim_id, action="withdraw", from_status=t.from_status,
                to_status=t.to_status, actor=Actor.of(principal), at=now, events=[event],
            )
        return done
