"""SLA policy: rule specificity, the shipped policy, pauses in both bases, and the ladder."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.reports.domain.kinds import KINDS, SEVERITIES
from services.routing.domain.calendar import WorkCalendar
from services.routing.domain.sla import LADDER, SlaPolicy, SlaRule, SlaTimer, parse_duration

SH = ZoneInfo("Asia/Shanghai")
POLICY_DIR = Path(__file__).parents[3] / "services" / "routing" / "policy"
DAY = timedelta(hours=7, minutes=30)


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock instant."""
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.from_json(POLICY_DIR / "calendar_cn.json")


@pytest.fixture(scope="module")
def policy(cal) -> SlaPolicy:
    return SlaPolicy.from_json(POLICY_DIR / "sla_policy.json", cal)


def rule(kind="*", category="*", severity="*", hours=1, basis="working") -> SlaRule:
    return SlaRule(kind, category, severity, timedelta(hours=hours), timedelta(hours=hours * 2), basis)


@pytest.mark.parametrize(
    ("text", "basis", "expected"),
    [
        ("PT10M", "calendar", timedelta(minutes=10)),
        ("PT60M", "calendar", timedelta(hours=1)),
        ("PT2H", "working", timedelta(hours=2)),
        ("P1D", "calendar", timedelta(days=1)),
        ("P1D", "working", DAY),
        ("P10D", "working", 10 * DAY),
        ("P1DT4H30M", "working", DAY + timedelta(hours=4, minutes=30)),
    ],
)
def test_durations(text, basis, expected):
    assert parse_duration(text, basis=basis, day_length=DAY) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "2H", "PT1.5H", "P1W", "P1M", "pt2h"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration(text, basis="working", day_length=DAY)


def test_most_specific_rule_wins_whatever_the_order():
    rules = [
        rule(hours=1),
        rule(severity="high", hours=2),
        rule(kind="hazard", hours=3),
        rule(kind="hazard", severity="high", hours=4),
        rule(kind="hazard", category="dangling_wires", hours=5),
        rule(kind="hazard", category="dangling_wires", severity="high", hours=6),
    ]
    expected = {
        ("civility", "littering", "low"): 1,
        ("civility", "littering", "high"): 2,
        ("hazard", "road_damage", "low"): 3,  # kind beats severity
        ("hazard", "road_damage", "high"): 4,
        ("hazard", "dangling_wires", "low"): 5,
        ("hazard", "dangling_wires", "medium"): 5,  # category beats severity
        ("hazard", "dangling_wires", "high"): 6,
    }
    for ordered in (rules, rules[::-1]):
        chosen = SlaPolicy(ordered, WorkCalendar())
        got = {key: chosen.rule_for(*key).acknowledge_within.total_seconds() / 3600 for key in expected}
        assert got == expected


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([rule(), rule()], "duplicate"),
        ([rule(kind="hazard")], "default rule"),
        ([rule(), rule(category="littering")], "must name its kind"),
    ],
)
def test_bad_rule_sets_are_refused(rules, message):
    with pytest.raises(ValueError, match=message):
        SlaPolicy(rules, WorkCalendar())


def test_shipped_policy_gives_every_case_kind_and_category_an_intended_rule(policy):
    covered = []
    for kind in KINDS.values():
        for category in kind.categories:
            if not category.opens_case:
                continue
            chosen = policy.rule_for(kind.code, category.code, category.default_severity)
            # The bare */*/* rule is a safety net for unknown severities, never a plan.
            assert (chosen.kind, chosen.category, chosen.severity) != ("*", "*", "*"), category.code
            covered.append(kind.code)
    assert set(covered) == set(KINDS) - {"policy_promotion"}


@pytest.mark.parametrize(
    "opened", [sh(2025, 3, 3, 10, 0), sh(2025, 3, 7, 17, 45), sh(2025, 3, 8, 3, 0), sh(2025, 9, 30, 20, 0)]
)
def test_shipped_policy_never_gives_higher_severity_a_later_deadline(policy, opened):
    for kind in KINDS.values():
        for category in kind.categories:
            deadlines = [policy.deadlines(kind.code, category.code, s, opened) for s in reversed(SEVERITIES)]
            for d in deadlines:
                assert opened < d.acknowledge_by <= d.resolve_by
            assert [d.acknowledge_by for d in deadlines] == sorted(d.acknowledge_by for d in deadlines)
            assert [d.resolve_by for d in deadlines] == sorted(d.resolve_by for d in deadlines)


@pytest.mark.parametrize("category", ["no_answer", "needs_help"])
@pytest.mark.parametrize("severity", ["urgent", "low"])
def test_elderly_alerts_run_in_minutes_day_or_night(policy, category, severity):
    national_day_night = sh(2025, 10, 3, 23, 50)
    deadlines = policy.deadlines("elderly_checkin", category, severity, national_day_night)
    assert deadlines.acknowledge_by == national_day_night + timedelta(minutes=10)
    assert deadlines.resolve_by == national_day_night + timedelta(minutes=60)
    assert deadlines.basis == "calendar"


def test_high_hazard_counts_working_hours_across_lunch_and_holiday(policy):
    monday = policy.deadlines("hazard", "blocked_fire_exit", "high", sh(2025, 3, 3, 10, 0))
    assert (monday.acknowledge_by, monday.resolve_by) == (sh(2025, 3, 3, 12, 0), sh(2025, 3, 4, 10, 0))
    assert monday.basis == "working"
    before_qingming = policy.deadlines("hazard", "dangling_wires", "high", sh(2025, 4, 3, 17, 0))
    assert before_qingming.acknowledge_by == sh(2025, 4, 7, 10, 0)


def test_residents_voice_and_civility_take_working_days(policy):
    opened = sh(2025, 3, 3, 9, 0)
    voice = policy.deadlines("residents_voice", "grievance", "low", opened)
    assert (voice.acknowledge_by, voice.resolve_by) == (sh(2025, 3, 4, 18, 0), sh(2025, 3, 14, 18, 0))
    civility = policy.deadlines("civility", "littering", "low", opened)
    assert (civility.acknowledge_by, civility.resolve_by) == (sh(2025, 3, 3, 18, 0), sh(2025, 3, 7, 18, 0))


def test_pause_over_a_weekend_extends_calendar_rules_only(policy):
    paused, resumed = sh(2025, 3, 8, 10, 0), sh(2025, 3, 9, 16, 0)  # Saturday to Sunday
    deadline = sh(2025, 3, 10, 11, 0)
    assert policy.extend_for_pause("calendar", deadline, paused, resumed) == deadline + timedelta(hours=30)
    assert policy.extend_for_pause("working", deadline, paused, resumed) == deadline


def test_working_pause_shifts_by_working_time_on_the_rules_basis(policy):
    hazard = policy.rule_for("hazard", "dangling_wires", "high")
    paused, resumed = sh(2025, 3, 7, 17, 0), sh(2025, 3, 10, 10, 0)  # 2 working hours
    assert policy.extend_for_pause(hazard, sh(2025, 3, 10, 17, 0), paused, resumed) == sh(2025, 3, 11, 10, 0)
    elderly = policy.rule_for("elderly_checkin", "no_answer", "urgent")
    # The same pause is 65 hours of calendar time for a calendar-basis rule.
    assert policy.extend_for_pause(elderly, sh(2025, 3, 10, 17, 0), paused, resumed) == sh(2025, 3, 13, 10, 0)
    with pytest.raises(ValueError, match="before it starts"):
        policy.extend_for_pause(hazard, sh(2025, 3, 10, 17, 0), resumed, paused)


def test_escalation_goes_street_at_resolve_by_then_district_a_window_later(policy):
    assert LADDER == ("community", "street", "district")
    elderly = policy.rule_for("elderly_checkin", "needs_help", "urgent")
    resolve_by = sh(2025, 3, 8, 23, 30)
    assert policy.escalation_due(elderly, resolve_by, 1) == resolve_by
    assert policy.escalation_due(elderly, resolve_by, 2) == resolve_by + timedelta(minutes=60)
    hazard = policy.rule_for("hazard", "dangling_wires", "high")
    friday_close = sh(2025, 3, 7, 18, 0)
    assert policy.escalation_due(hazard, friday_close, 2) == sh(2025, 3, 10, 18, 0)
    for level in (0, 3):
        with pytest.raises(ValueError, match="escalation levels"):
            policy.escalation_due(hazard, friday_close, level)


def test_timers_alert_on_acknowledge_breach_and_escalate_only_on_resolve(policy):
    opened = sh(2025, 3, 3, 10, 0)
    hazard = policy.rule_for("hazard", "blocked_fire_exit", "high")
    deadlines = policy.deadlines("hazard", "blocked_fire_exit", "high", opened)
    assert policy.timers(hazard, deadlines) == [
        SlaTimer("acknowledge", 0, sh(2025, 3, 3, 12, 0)),
        SlaTimer("escalate", 1, sh(2025, 3, 4, 10, 0)),
        SlaTimer("escalate", 2, sh(2025, 3, 5, 10, 0)),
    ]
