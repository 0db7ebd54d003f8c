"""The wishes clock: release claims whose hold ran out and expire wishes past their day, once each."""

from __future__ import annotations

import logging

import asyncpg
from opentelemetry import trace

from services.wishes.app.changes import SYSTEM, commit_change
from services.wishes.app.claim import shares_of
from services.wishes.app.ending import end_wish
from services.wishes.domain import claims, lifecycle
from services.wishes.storage import timers
from services.wishes.storage.writes import lock_claim, lock_wish, update_claim, update_wish
from shared.clock import Clock
from shared.events.wishes import WishClaimReleasedV1
from shared.ticker import run_ticks

log = logging.getLogger(__name__)


class WishSweeper:
    """Any number of instances may sweep at once: SKIP LOCKED shares out the due rows."""

    def __init__(
        self, *, pool: asyncpg.Pool, clock: Clock, tracer: trace.Tracer, batch_size: int = 200
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._tracer = tracer
        self._batch_size = batch_size

    async def tick(self) -> int:
        """Release one batch of lapsed claims, then expire one batch of wishes; returns rows handled."""
        return await self.release_lapsed_claims() + await self.expire_wishes()

    async def release_lapsed_claims(self) -> int:
        """Held claims past their hold give their shares back, in one transaction."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            due = await timers.due_claims(conn, now, self._batch_size)
            for row in due:
                wish_id, claim_id = str(row["wish_id"]), str(row["claim_id"])
                with self._tracer.start_as_current_span(
                    "wishes release lapsed claim", attributes={"nuanxin.wish_id": wish_id}
                ):
                    # Already locked by due_claims; read again, as an earlier row may have changed the wish.
                    wish = await lock_wish(conn, wish_id)
                    claim = await lock_claim(conn, wish_id, claim_id)
                    ct = claims.apply(claim["status"], "release", actor="system")
                    after = shares_of(wish).give_back(claim["shares"])
                    t = lifecycle.apply(wish["status"], "give_back", actor="system", shares=after)
                    await update_claim(
                        conn, claim_id, status=ct.to_status, ended_at=now, end_reason="hold_expired"
                    )
                    await update_wish(conn, wish_id, now, status=t.to_status, shares_taken=after.taken)
                    event = WishClaimReleasedV1(
                        wish_id=wish_id, community_code=wish["community_code"], claim_id=claim_id,
                        donor_id=claim["donor_id"], shares=claim["shares"], reason="hold_expired",
                        wish_status=t.to_status, released_at=now,
                    )
                    await commit_change(
                        conn, wish_id=wish_id, claim_id=claim_id, action="release",
                        from_status=t.from_status, to_status=t.to_status, actor=SYSTEM, at=now,
                        events=[event], note="hold_expired",
                    )
        return len(due)

    async def expire_wishes(self) -> int:
        """Unfinished wishes past their wanted-by day lapse, in one transaction."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            due = await timers.expiring_wishes(conn, now, self._batch_size)
            for row in due:
                wish_id = str(row["wish_id"])
                with self._tracer.start_as_current_span(
                    "wishes expire wish", attributes={"nuanxin.wish_id": wish_id}
                ):
                    wish = await lock_wish(conn, wish_id)
                    await end_wish(conn, wish, action="expire", actor=SYSTEM, now=now)
        return len(due)

    async def run(self, interval_s: float = 0.5) -> None:
        """Sweep until cancelled; a full batch means more are due, so go again at once."""
        await run_ticks(self.tick, name="wishes sweeper", interval_s=interval_s, full_batch=self._batch_size)
