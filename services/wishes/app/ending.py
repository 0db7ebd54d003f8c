"""Ending a wish early: the poster cancels it, or its day passes; claims still held are released."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.wishes.app.changes import SYSTEM, Actor, NotYours, commit_change, found
from services.wishes.domain import claims, lifecycle
from services.wishes.storage.writes import lock_wish, open_claims, update_claim, update_wish
from shared.auth import Principal
from shared.clock import Clock
from shared.events.wishes import WishCancelledV1, WishClaimReleasedV1, WishExpiredV1


async def end_wish(
    conn: asyncpg.Connection, wish: asyncpg.Record, *, action: str, actor: Actor, now: datetime,
    reason: str | None = None,
) -> asyncpg.Record:
    """Cancel or expire a locked wish, releasing its held claims, with audit rows and events."""
    wish_id = str(wish["wish_id"])
    if await open_claims(conn, wish_id, "handed_over"):
        # The donor has given; ending the wish now would leave their gift unacknowledged.
        raise lifecycle.IllegalTransition(
            f"cannot {action} a wish with a hand-over waiting for confirmation; confirm receipt first"
        )
    t = lifecycle.apply(wish["status"], action, actor="system" if action == "expire" else "poster")
    release_reason = "wish_expired" if action == "expire" else "wish_cancelled"
    taken = wish["shares_taken"]
    for claim in await open_claims(conn, wish_id, "held"):
        claim_id = str(claim["claim_id"])
        ct = claims.apply(claim["status"], "release", actor="system")
        await update_claim(conn, claim_id, status=ct.to_status, ended_at=now, end_reason=release_reason)
        taken -= claim["shares"]
        event = WishClaimReleasedV1(
            wish_id=wish_id, community_code=wish["community_code"], claim_id=claim_id,
            donor_id=claim["donor_id"], shares=claim["shares"], reason=release_reason,
            wish_status=t.to_status, released_at=now,
        )
        await commit_change(
            conn, wish_id=wish_id, claim_id=claim_id, action="release", from_status=t.from_status,
            to_status=t.to_status, actor=SYSTEM, at=now, events=[event], note=release_reason,
        )
    after = await update_wish(conn, wish_id, now, status=t.to_status, shares_taken=taken, ended_at=now)
    common = {"wish_id": wish_id, "community_code": wish["community_code"], "poster_id": wish["poster_id"],
              "from_status": t.from_status}
    if action == "expire":
        event = WishExpiredV1(
            **common, wanted_by=wish["wanted_by"], shares_fulfilled=wish["shares_fulfilled"], expired_at=now
        )
    else:
        event = WishCancelledV1(**common, reason=reason, cancelled_at=now)
    await commit_change(
        conn, wish_id=wish_id, action=action, from_status=t.from_status, to_status=t.to_status,
        actor=actor, at=now, events=[event], note=reason,
    )
    return after


class CancelWish:
    """The poster withdraws their own wish."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def __call__(self, wish_id: str, principal: Principal, reason: str | None) -> asyncpg.Record:
        """The cancelled wish; raises WishNotFound, NotYours or IllegalTransition."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            wish = found(await lock_wish(conn, wish_id), principal)
            if wish["poster_id"] != principal.subject:
                raise NotYours("only the worker who posted a wish can cancel it")
            return await end_wish(conn, wish, action="cancel", actor=Actor.of(principal), now=now,
                                  reason=(reason or "").strip() or None)
