"""The points ledger: balanced entries, caps per Asia/Shanghai day, rules, and order-free rebuilds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.volunteers.domain.ledger import (
    PROGRAMME,
    Entry,
    InsufficientPoints,
    MemoryLedger,
    Transaction,
    UnbalancedTransaction,
    credit,
    redemption,
)
from services.volunteers.domain.rules import DAILY_CAP, PointsRules, UnknownItem, capped, shanghai_day
from services.volunteers.domain.sources import from_event
from shared.events.reports import ReportOutcomeV1
from shared.events.wishes import WishFulfilledV1

# 15:59:59 UTC is 23:59:59 in Chongqing; one second later the Chongqing day changes.
LATE = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
RULES = PointsRules(per_resolved_report={"hazard": 10, "civility": 5}, per_wish_share=8, per_visit=5,
                    daily_cap=25, prices={"meal": 30})


def test_a_credit_moves_points_from_the_programme_to_the_volunteer_and_balances():
    txn = credit(source_kind="visit", source_id="r1", volunteer_id="w1", requested=5, occurred_at=LATE,
                 day=shanghai_day(LATE), credited_that_day=0, cap=25)
    assert txn.entries == (Entry(PROGRAMME, -5), Entry("volunteer:w1", 5))
    assert sum(e.amount for e in txn.entries) == 0 and txn.reason is None


def test_unbalanced_or_fractional_entries_are_refused():
    day = shanghai_day(LATE)
    with pytest.raises(UnbalancedTransaction):
        Transaction("visit", "r", "w", 5, 5, None, day, LATE, (Entry(PROGRAMME, -5), Entry("volunteer:w", 4)))
    with pytest.raises(UnbalancedTransaction):
        half = (Entry(PROGRAMME, -0.5), Entry("volunteer:w", 0.5))
        Transaction("visit", "r", "w", 1, 1, None, day, LATE, half)  # type: ignore[arg-type]


def test_the_cap_gives_a_partial_then_a_zero_credit_with_a_reason():
    assert capped(10, 20, 25) == (5, DAILY_CAP)
    assert capped(10, 25, 25) == (0, DAILY_CAP)
    assert capped(10, 0, 25) == (10, None)
    ledger = MemoryLedger(cap=25)
    day = shanghai_day(LATE)
    points = [ledger.credit(source_kind="visit", source_id=f"r{i}", volunteer_id="w", requested=10,
                            occurred_at=LATE, day=day) for i in range(4)]
    assert [(t.points, t.reason) for t in points] == [(10, None), (10, None), (5, DAILY_CAP), (0, DAILY_CAP)]
    assert points[3].entries == ()
    assert ledger.balance("volunteer:w") == 25 and ledger.balance(PROGRAMME) == -25


def test_the_cap_resets_at_midnight_in_chongqing_not_utc():
    before, after = LATE, LATE + timedelta(seconds=1)
    assert shanghai_day(before) != shanghai_day(after)
    assert shanghai_day(before).isoformat() == "2026-11-30" and after.date().isoformat() == "2026-11-30"
    ledger = MemoryLedger(cap=10)
    first = ledger.credit(source_kind="visit", source_id="a", volunteer_id="w", requested=10,
                          occurred_at=before, day=shanghai_day(before))
    capped_same_day = ledger.credit(source_kind="visit", source_id="b", volunteer_id="w", requested=10,
                                    occurred_at=before, day=shanghai_day(before))
    next_day = ledger.credit(source_kind="visit", source_id="c", volunteer_id="w", requested=10,
                             occurred_at=after, day=shanghai_day(after))
    assert (first.points, capped_same_day.points, next_day.points) == (10, 0, 10)


def test_a_source_is_paid_once():
    ledger = MemoryLedger(cap=100)
    kwargs = dict(source_kind="report_outcome", source_id="rep-1", volunteer_id="w", requested=10,
                  occurred_at=LATE, day=shanghai_day(LATE))
    assert ledger.credit(**kwargs) is not None
    assert ledger.credit(**kwargs) is None
    assert ledger.balance("volunteer:w") == 10


def test_redemption_pays_the_station_and_refuses_a_short_balance():
    txn = redemption(source_id="x", volunteer_id="w", station_id="s1", item="meal", price=30, balance=30,
                     occurred_at=LATE, day=shanghai_day(LATE))
    assert txn.entries == (Entry("volunteer:w", -30), Entry("station:s1", 30))
    with pytest.raises(InsufficientPoints):
        redemption(source_id="y", volunteer_id="w", station_id="s1", item="meal", price=30, balance=29,
                   occurred_at=LATE, day=shanghai_day(LATE))


def _outcome(report_id: str, outcome: str, kind: str = "hazard") -> ReportOutcomeV1:
    return ReportOutcomeV1(report_id=report_id, reporter_id="w", kind=kind, category="c", case_id="k",
                           outcome=outcome, at=LATE)


def test_rules_pay_resolved_reports_by_kind_and_wishes_per_share_but_not_dismissals():
    assert from_event(_outcome("r", "resolved"), RULES).requested == 10
    assert from_event(_outcome("r", "resolved", "civility"), RULES).requested == 5
    assert from_event(_outcome("r", "resolved", "food_safety"), RULES) is None
    assert from_event(_outcome("r", "dismissed"), RULES) is None
    wish = WishFulfilledV1(wish_id="w1", claim_id="c1", donor_id="d", poster_id="p",
                           community_code="500112002001", shares=3, fulfilled_at=LATE)
    request = from_event(wish, RULES)
    assert (request.source_kind, request.source_id, request.volunteer_id, request.requested) == (
        "wish_claim", "c1", "d", 24)
    with pytest.raises(UnknownItem):
        RULES.price("yacht")


def test_rules_refuse_fractional_or_negative_points():
    with pytest.raises(ValueError):
        PointsRules(per_visit=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PointsRules(daily_cap=-1)


def test_the_capped_total_of_a_day_does_not_depend_on_the_order_of_credits():
    amounts = [7, 12, 3, 9, 4]
    totals = set()
    for order in (amounts, amounts[::-1], sorted(amounts)):
        ledger = MemoryLedger(cap=20)
        for i, a in enumerate(order):
            ledger.credit(source_kind="visit", source_id=f"{a}-{i}", volunteer_id="w", requested=a,
                          occurred_at=LATE, day=shanghai_day(LATE))
        totals.add(ledger.balance("volunteer:w"))
    assert totals == {20}
