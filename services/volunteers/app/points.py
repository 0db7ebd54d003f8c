"""Points (志愿积分): credited once per verified deed under a daily cap, redeemed at stations."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.volunteers.app.errors import Conflict, Invalid
from services.volunteers.domain import ledger as book
from services.volunteers.domain.ledger import InsufficientPoints, Transaction, volunteer_account
from services.volunteers.domain.rules import PointsRules, UnknownItem, shanghai_day
from services.volunteers.domain.sources import CreditRequest, from_event, from_visit
from services.volunteers.storage import ledger
from shared.auth import Principal
from shared.clock import Clock
from shared.events.base import EventBody
from shared.ids import new_id
from shared.postgres.pool import snapshot


def transaction_view(txn: Transaction) -> dict:
    """A transaction as the API shows it."""
    return {
        "source_kind": txn.source_kind, "source_id": txn.source_id, "requested": txn.requested,
        "points": txn.points, "reason": txn.reason, "day": txn.day, "occurred_at": txn.occurred_at,
        "entries": [{"account": e.account, "amount": e.amount} for e in txn.entries],
    }


class PointsBook:
    """The live ledger's use cases; every booking happens inside a caller's or its own transaction."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock, rules: PointsRules) -> None:
        self._pool = pool
        self._clock = clock
        self.rules = rules

    async def credit_event(self, conn: asyncpg.Connection, body: EventBody) -> Transaction | None:
        """Credit what an outcome or a fulfilled wish earns (inside the consumer's transaction)."""
        request = from_event(body, self.rules)
        return await self._credit(conn, request) if request else None

    async def credit_visit(
        self, conn: asyncpg.Connection, report_id: str, volunteer_id: str, visited_at: datetime
    ) -> Transaction | None:
        """Credit a logged visit to the volunteer who made it."""
        request = from_visit(report_id, volunteer_id, visited_at, self.rules)
        return await self._credit(conn, request) if request else None

    async def _credit(self, conn: asyncpg.Connection, request: CreditRequest) -> Transaction | None:
        await ledger.lock_volunteer(conn, request.volunteer_id)
        if await ledger.booked(conn, request.source_kind, request.source_id):
            return None
        # The day is the deed's own day, not the booking's, so a replay reaches the same caps.
        day = shanghai_day(request.occurred_at)
        txn = book.credit(
            source_kind=request.source_kind, source_id=request.source_id,
            volunteer_id=request.volunteer_id, requested=request.requested,
            occurred_at=request.occurred_at, day=day,
            credited_that_day=await ledger.credited_on(conn, request.volunteer_id, day),
            cap=self.rules.daily_cap,
        )
        return txn if await ledger.book(conn, txn, self._clock.now()) else None

    async def redeem(
        self, principal: Principal, *, station_id: str, item: str, idempotency_key: str | None
    ) -> tuple[Transaction, int]:
        """Spend points on a station item; Conflict if the balance is short. Returns the new balance."""
        try:
            price = self.rules.price(item)
        except UnknownItem as exc:
            raise Invalid(str(exc), field="item") from exc
        volunteer = principal.subject
        # A repeated request with the same key returns the first redemption instead of paying twice.
        source_id = f"{volunteer}:{idempotency_key}" if idempotency_key else new_id()
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            await ledger.lock_volunteer(conn, volunteer)
            earlier = await ledger.transaction(conn, book.REDEMPTION, source_id)
            if earlier is None:
                balance = await ledger.balance(conn, volunteer_account(volunteer))
                try:
                    txn = book.redemption(
                        source_id=source_id, volunteer_id=volunteer, station_id=station_id, item=item,
                        price=price, balance=balance, occurred_at=now, day=shanghai_day(now),
                    )
                except InsufficientPoints as exc:
                    raise Conflict(f"not enough points for {item}: {exc}", field="item") from exc
                await ledger.book(conn, txn, now)
                earlier = txn
            return earlier, await ledger.balance(conn, volunteer_account(volunteer))

    async def statement(self, volunteer_id: str) -> dict:
        """A volunteer's balance, what they earned today against the cap, and their latest bookings."""
        today = shanghai_day(self._clock.now())
        # One snapshot: balance, today's total and the history must agree with each other even
        # while a credit commits between the three reads.
        async with snapshot(self._pool) as conn:
            return {
                "volunteer_id": volunteer_id,
                "balance": await ledger.balance(conn, volunteer_account(volunteer_id)),
                "earned_today": await ledger.credited_on(conn, volunteer_id, today),
                "daily_cap": self.rules.daily_cap,
                "today": today,
                "transactions": [transaction_view(t) for t in await ledger.history(conn, volunteer_id)],
            }
