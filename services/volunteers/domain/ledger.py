"""The points ledger: append-only, double-entry transactions between accounts, whole points only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from services.volunteers.domain.rules import capped

PROGRAMME = "programme:issued"
REDEMPTION = "redemption"
CREDIT_SOURCES = ("report_outcome", "wish_claim", "visit")


def volunteer_account(volunteer_id: str) -> str:
    """The account holding a volunteer's points."""
    return f"volunteer:{volunteer_id}"


def station_account(station_id: str) -> str:
    """The account of a warm station that points were spent at."""
    return f"station:{station_id}"


class UnbalancedTransaction(ValueError):
    """Entries that do not sum to zero, or are not whole points."""


class InsufficientPoints(Exception):
    """A redemption costing more than the volunteer's balance."""

    def __init__(self, balance: int, price: int) -> None:
        super().__init__(f"balance {balance} is short of the price {price}")
        self.balance = balance
        self.price = price


@dataclass(frozen=True)
class Entry:
    """One leg of a transaction: a signed amount on an account."""

    account: str
    amount: int


@dataclass(frozen=True)
class Transaction:
    """One booking, unique per source; its entries always sum to zero."""

    source_kind: str
    source_id: str
    volunteer_id: str
    requested: int
    points: int
    reason: str | None
    day: date
    occurred_at: datetime
    entries: tuple[Entry, ...]

    def __post_init__(self) -> None:
        if any(not isinstance(e.amount, int) or e.amount == 0 for e in self.entries):
            raise UnbalancedTransaction("every entry must be a non-zero whole number of points")
        if sum(e.amount for e in self.entries) != 0:
            raise UnbalancedTransaction(f"entries of {self.source_kind}:{self.source_id} do not balance")


def credit(
    *, source_kind: str, source_id: str, volunteer_id: str, requested: int, occurred_at: datetime,
    day: date, credited_that_day: int, cap: int,
) -> Transaction:
    """Points issued by the programme to a volunteer, cut down (possibly to zero) by the daily cap."""
    points, reason = capped(requested, credited_that_day, cap)
    entries = (Entry(PROGRAMME, -points), Entry(volunteer_account(volunteer_id), points)) if points else ()
    return Transaction(source_kind, source_id, volunteer_id, requested, points, reason, day,
                       occurred_at, entries)


def redemption(
    *, source_id: str, volunteer_id: str, station_id: str, item: str, price: int, balance: int,
    occurred_at: datetime, day: date,
) -> Transaction:
    """Points a volunteer spends at a station; InsufficientPoints if the balance is short."""
    if price > balance:
        raise InsufficientPoints(balance, price)
    entries = (Entry(volunteer_account(volunteer_id), -price), Entry(station_account(station_id), price))
    return Transaction(REDEMPTION, source_id, volunteer_id, price, price, f"item:{item}", day,
                       occurred_at, entries)


class MemoryLedger:
    """A ledger held in memory: the rebuild target, and the reference the live one is compared to."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self.transactions: dict[tuple[str, str], Transaction] = {}
        self._day_totals: dict[tuple[str, date], int] = defaultdict(int)

    def credit(
        self, *, source_kind: str, source_id: str, volunteer_id: str, requested: int,
        occurred_at: datetime, day: date,
    ) -> Transaction | None:
        """Book a credit once per source; a repeated source is ignored (returns None)."""
        if (source_kind, source_id) in self.transactions or requested <= 0:
            return None
        txn = credit(source_kind=source_kind, source_id=source_id, volunteer_id=volunteer_id,
                     requested=requested, occurred_at=occurred_at, day=day,
                     credited_that_day=self._day_totals[(volunteer_id, day)], cap=self._cap)
        self._day_totals[(volunteer_id, day)] += txn.points
        self.transactions[(source_kind, source_id)] = txn
        return txn

    def book(self, txn: Transaction) -> None:
        """Book a transaction made elsewhere (a redemption), once per source."""
        self.transactions.setdefault((txn.source_kind, txn.source_id), txn)

    def balances(self) -> dict[str, int]:
        """Every account's balance (accounts that net to zero are left out)."""
        totals: dict[str, int] = defaultdict(int)
        for txn in self.transactions.values():
            for entry in txn.entries:
                totals[entry.account] += entry.amount
        return {a: v for a, v in sorted(totals.items()) if v}

    def balance(self, account: str) -> int:
        """One account's balance."""
        return self.balances().get(account, 0)
