"""Use case: staff of the wish's community (or above it) approve or reject a posted wish."""

from __future__ import annotations

import asyncpg

from services.wishes.app.changes import Actor, NotYours, WishNotFound, commit_change, covers, sees_wish
from services.wishes.domain import lifecycle
from services.wishes.storage.writes import lock_wish, update_wish
from shared.auth import Principal
from shared.clock import Clock
from shared.events.wishes import WishApprovedV1, WishRejectedV1


class ReviewWish:
    """Approve or reject through the state machine; audit row and event commit with the change."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def approve(self, wish_id: str, principal: Principal) -> asyncpg.Record:
        """The wish, now open; raises WishNotFound, NotYours or IllegalTransition."""
        return await self._review(wish_id, principal, "approve", None)

    async def reject(self, wish_id: str, principal: Principal, reason: str | None) -> asyncpg.Record:
        """The wish, now rejected with the reason; raises as approve does."""
        return await self._review(wish_id, principal, "reject", reason)

    async def _review(self, wish_id: str, principal: Principal, action: str, reason: str | None):
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            wish = await lock_wish(conn, wish_id)
            if wish is None or not sees_wish(principal, wish):
                raise WishNotFound
            if not covers(principal, wish):
                raise NotYours("only staff of the wish's community, its street or the district review it")
            t = lifecycle.apply(wish["status"], action, actor="staff", reason=reason)
            if action == "approve":
                after = await update_wish(
                    conn, wish_id, now, status=t.to_status, reviewed_by=principal.subject, approved_at=now
                )
                event = WishApprovedV1(
                    wish_id=wish_id, community_code=wish["community_code"], reviewer_id=principal.subject,
                    reviewer_role=principal.role, category=wish["category"], title=wish["title"],
                    shares=wish["shares"], wanted_by=wish["wanted_by"], approved_at=now,
                )
            else:
                reason = (reason or "").strip()
                after = await update_wish(
                    conn, wish_id, now, status=t.to_status, reviewed_by=principal.subject,
                    review_reason=reason, ended_at=now,
                )
                event = WishRejectedV1(
                    wish_id=wish_id, community_code=wish["community_code"], poster_id=wish["poster_id"],
                    reviewer_id=principal.subject, reviewer_role=principal.role, reason=reason,
                    rejected_at=now,
                )
            await commit_change(
                conn, wish_id=wish_id, action=action, from_status=t.from_status, to_status=t.to_status,
                actor=Actor.of(principal), at=now, events=[event], note=reason,
            )
        return after
