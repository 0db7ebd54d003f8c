"""Rebuild the points ledger from its sources and compare it with the live one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from services.volunteers.domain.ledger import REDEMPTION, MemoryLedger, Transaction
from services.volunteers.domain.rules import PointsRules, shanghai_day
from services.volunteers.domain.sources import CreditRequest, from_event, from_visit
from services.volunteers.storage import elderly, ledger
from services.volunteers.storage.replay import read_topics
from shared.events import topics
from shared.events.envelope import IncomingEvent
from shared.settings import PlatformSettings


@dataclass(frozen=True)
class LedgerAudit:
    """The live ledger next to one rebuilt from events; equal when balances, sources and days agree."""

    live: dict[str, int]
    rebuilt: dict[str, int]
    missing_sources: list[str] = field(default_factory=list)
    extra_sources: list[str] = field(default_factory=list)
    day_differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """Whether the two ledgers agree."""
        return (self.live == self.rebuilt and not self.missing_sources and not self.extra_sources
                and not self.day_differences)

    def summary(self) -> str:
        """One paragraph for people."""
        if self.equal:
            return f"ledger consistent: {len(self.live)} accounts agree with the rebuild from events"
        accounts = sorted(a for a in {*self.live, *self.rebuilt} if self.live.get(a) != self.rebuilt.get(a))
        return (f"ledger differs: accounts {accounts}; only in the live ledger {self.extra_sources}; "
                f"only in the rebuild {self.missing_sources}; days {self.day_differences}")


def replay(
    events: Iterable[IncomingEvent], visits: Iterable[CreditRequest], redemptions: Iterable[Transaction],
    rules: PointsRules,
) -> MemoryLedger:
    """A fresh ledger from outcome and wish events, the visit log and the recorded redemptions."""
    fresh = MemoryLedger(cap=rules.daily_cap)
    requests = [r for r in (from_event(e.body, rules) for e in events) if r is not None]
    # Per volunteer and day the cap lets through min(cap, total asked), whatever the order, so
    # replaying in deed order reaches the live balances even if the consumer saw another order.
    for r in sorted([*requests, *visits], key=lambda r: (r.occurred_at, r.source_kind, r.source_id)):
        fresh.credit(source_kind=r.source_kind, source_id=r.source_id, volunteer_id=r.volunteer_id,
                     requested=r.requested, occurred_at=r.occurred_at, day=shanghai_day(r.occurred_at))
    for txn in redemptions:
        fresh.book(txn)
    return fresh


def _day_totals(txns: Iterable[Transaction]) -> dict[tuple[str, date], int]:
    totals: dict[tuple[str, date], int] = defaultdict(int)
    for t in txns:
        if t.source_kind != REDEMPTION:
            totals[(t.volunteer_id, t.day)] += t.points
    return dict(totals)


def compare(live: list[Transaction], fresh: MemoryLedger) -> LedgerAudit:
    """Balances, booked sources and per-day credited totals of the live ledger against a rebuild."""
    live_ledger = MemoryLedger(cap=0)
    for txn in live:
        live_ledger.book(txn)
    live_keys = {f"{t.source_kind}:{t.source_id}" for t in live}
    fresh_keys = {f"{k}:{i}" for k, i in fresh.transactions}
    live_days, fresh_days = _day_totals(live), _day_totals(fresh.transactions.values())
    days = sorted(f"{v}@{d}: live {live_days.get((v, d), 0)}, rebuilt {fresh_days.get((v, d), 0)}"
                  for v, d in {*live_days, *fresh_days} if live_days.get((v, d)) != fresh_days.get((v, d)))
    return LedgerAudit(
        live=live_ledger.balances(), rebuilt=fresh.balances(),
        missing_sources=sorted(fresh_keys - live_keys), extra_sources=sorted(live_keys - fresh_keys),
        day_differences=days,
    )


async def audit(conn: asyncpg.Connection, settings: PlatformSettings, rules: PointsRules) -> LedgerAudit:
    """Read the reports and wishes topics from the start plus the visit log, rebuild, compare."""
    events = await read_topics(
        settings.kafka_bootstrap_servers, [settings.topic(topics.REPORTS), settings.topic(topics.WISHES)]
    )
    visits = [v for v in (from_visit(r["report_id"], r["volunteer_id"], r["visited_at"], rules)
                          for r in await elderly.visit_log(conn)) if v is not None]
    live = await ledger.all_transactions(conn)
    fresh = replay(events, visits, [t for t in live if t.source_kind == REDEMPTION], rules)
    return compare(live, fresh)


async def audit_database(settings: PlatformSettings, rules: PointsRules) -> LedgerAudit:
    """The audit on its own connection, for the command line."""
    conn = await asyncpg.connect(settings.database_url, server_settings={"search_path": "volunteers"})
    try:
        return await audit(conn, settings, rules)
    finally:
        await conn.close()
