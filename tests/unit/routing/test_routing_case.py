"""Which reports open a case, and the deadlines a case gets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.routing.domain.case import (
    Owner,
    deadlines_for,
    open_case,
)
from services.routing.domain.clustering import raised_severity

OPENED = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
ORDER = ["urgent", "high", "medium", "low"]


def test_acknowledge_deadlines_grow_as_severity_falls():
    acks = [deadlines_for(s, OPENED).acknowledge_by for s in ORDER]
    assert acks == sorted(acks)
    assert len(set(acks)) == len(acks)


def test_resolve_deadlines_grow_as_severity_falls():
    resolves = [deadlines_for(s, OPENED).resolve_by for s in ORDER]
    assert resolves == sorted(resolves)
    assert len(set(resolves)) == len(resolves)


@pytest.mark.parametrize("severity", ORDER)
def test_acknowledge_comes_before_resolve_and_after_opening(severity):
    deadlines = deadlines_for(severity, OPENED)
    assert OPENED < deadlines.acknowledge_by < deadlines.resolve_by


def test_deadlines_follow_the_opening_time():
    later = datetime(2025, 3, 2, 8, 30, tzinfo=UTC)
    early, late = deadlines_for("high", OPENED), deadlines_for("high", later)
    assert late.acknowledge_by - early.acknowledge_by == later - OPENED
    assert late.resolve_by - early.resolve_by == later - OPENED


def test_open_case_carries_the_report_owner_and_deadlines():
    owner = Owner(community_code="500112003001", street_code="500112003")
    deadlines = deadlines_for("urgent", OPENED)

    def opened():
        return open_case(
            report_id="r-1", kind="food_safety", category="kitchen_hygiene", severity="urgent",
            lon=106.63, lat=29.72, reporter_id="w-1", reporter_hidden=True, owner=owner,
            deadlines=deadlines, hierarchy_version="v1", now=OPENED,
        )

    case = opened()
    assert (case.report_id, case.owner, case.status) == ("r-1", owner, "new")
    assert case.reporter_id == "w-1" and case.visible_reporter is None
    assert case.opened_at == OPENED
    assert case.deadlines == deadlines
    assert case.case_id != opened().case_id


def test_a_growing_cluster_raises_severity_once_at_three_and_once_at_six():
    severity, seen = "low", []
    for size in range(2, 9):
        severity = raised_severity(severity, size)
        seen.append(severity)
    assert seen == ["low", "medium", "medium", "medium", "high", "high", "high"]
    assert raised_severity("urgent", 3) == "urgent", "nothing is above urgent"
