"""Use case: a worker posts a wish; it waits for the community's review."""

from __future__ import annotations

import uuid

import asyncpg

from services.wishes.app.changes import Actor, commit_change
from services.wishes.domain.wish import WishDraft, check_draft, expires_at, street_of
from services.wishes.storage.writes import insert_wish
from shared.auth import Principal
from shared.clock import Clock
from shared.events.wishes import WishPostedV1
from shared.ids import new_id


class PostWish:
    """Check the draft, store the wish, its audit row and its event in one transaction."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock, max_shares: int, max_days_ahead: int) -> None:
        self._pool = pool
        self._clock = clock
        self._max_shares = max_shares
        self._max_days_ahead = max_days_ahead

    async def __call__(self, draft: WishDraft, principal: Principal) -> asyncpg.Record:
        """The stored wish (pending review); raises InvalidWish naming the field at fault."""
        now = self._clock.now()
        wish = check_draft(draft, now=now, max_shares=self._max_shares, max_days_ahead=self._max_days_ahead)
        wish_id = new_id()
        street = street_of(wish.community_code)
        async with self._pool.acquire() as conn, conn.transaction():
            row = await insert_wish(
                conn, wish_id=uuid.UUID(wish_id), poster_id=principal.subject,
                community_code=wish.community_code, street_code=street, category=wish.category,
                title=wish.title, details=wish.details, why=wish.why, handover=wish.handover,
                status="pending_review", wanted_by=wish.wanted_by, expires_at=expires_at(wish.wanted_by),
                shares=wish.shares, created_at=now, updated_at=now,
            )
            event = WishPostedV1(
                wish_id=wish_id, community_code=wish.community_code, street_code=street,
                poster_id=principal.subject, category=wish.category, title=wish.title,
                shares=wish.shares, wanted_by=wish.wanted_by, handover=wish.handover, posted_at=now,
            )
            await commit_change(
                conn, wish_id=wish_id, action="post", from_status=None, to_status="pending_review",
                actor=Actor.of(principal), at=now, events=[event],
            )
        return row
