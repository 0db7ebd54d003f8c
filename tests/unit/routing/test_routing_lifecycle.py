"""The case state machine: legal moves, who may make them, notes, and the reopen window."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.routing.domain.lifecycle import (
    ACTIONS,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    STATUSES,
    TERMINAL,
    IllegalTransition,
    Transition,
    allowed_actions,
    apply,
)

RESOLVED_AT = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
NOTE = "cleared the exit"

# Written out by hand from the brief, not derived from the module's table.
LEGAL = [
    ("new", "acknowledge", {"staff"}, "acknowledged"),
    ("new", "start", {"staff"}, "in_progress"),
    ("acknowledged", "start", {"staff"}, "in_progress"),
    ("acknowledged", "request_info", {"staff"}, "waiting_for_info"),
    ("in_progress", "request_info", {"staff"}, "waiting_for_info"),
    ("waiting_for_info", "provide_info", {"reporter", "staff"}, "in_progress"),
    ("acknowledged", "resolve", {"staff"}, "resolved"),
    ("in_progress", "resolve", {"staff"}, "resolved"),
    ("resolved", "close", {"staff", "system"}, "closed"),
    ("resolved", "reopen", {"reporter", "staff", "system"}, "in_progress"),
    ("new", "return_not_ours", {"staff"}, "returned"),
    ("acknowledged", "return_not_ours", {"staff"}, "returned"),
    ("in_progress", "return_not_ours", {"staff"}, "returned"),
    ("returned", "reassign", {"staff"}, "new"),
    ("new", "reassign", {"staff"}, "new"),
    ("acknowledged", "reassign", {"staff"}, "new"),
    ("new", "dismiss", {"staff"}, "closed"),
    ("acknowledged", "dismiss", {"staff"}, "closed"),
    ("in_progress", "dismiss", {"staff"}, "closed"),
    ("returned", "dismiss", {"staff"}, "closed"),
]
LEGAL_PAIRS = {(status, action) for status, action, _, _ in LEGAL}


def _apply(status, action, actor):
    """Apply with everything any action might need, so only the rule under test can refuse."""
    return apply(status, action, actor=actor, note=NOTE, resolved_at=RESOLVED_AT, now=RESOLVED_AT)


@pytest.mark.parametrize(
    ("status", "action", "actor", "target"),
    [(s, a, actor, t) for s, a, actors, t in LEGAL for actor in sorted(actors)],
)
def test_every_legal_transition(status, action, actor, target):
    transition = _apply(status, action, actor)
    assert transition == Transition(
        status, target, action,
        pauses_clock=action == "request_info", resumes_clock=action == "provide_info",
    )


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in LEGAL_PAIRS],
)
def test_every_other_status_and_action_pair_is_refused(status, action):
    with pytest.raises(IllegalTransition, match=f"cannot {action} a case that is {status}; allowed now: "):
        _apply(status, action, "staff")


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (
            "waiting_for_info", "resolve",
            "cannot resolve a case that is waiting_for_info; allowed now: provide_info",
        ),
        ("closed", "reopen", "cannot reopen a case that is closed; allowed now: nothing, closed is final"),
        ("resolved", "acknowledge", "cannot acknowledge a case that is resolved; allowed now: close, reopen"),
        ("returned", "start", "cannot start a case that is returned; allowed now: reassign, dismiss"),
    ],
)
def test_refusals_say_what_is_allowed_instead(status, action, message):
    with pytest.raises(IllegalTransition) as refused:
        _apply(status, action, "staff")
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("status", "action", "actor", "message"),
    [
        ("in_progress", "resolve", "reporter", "a reporter cannot resolve a case; only staff can"),
        ("new", "acknowledge", "system", "the system cannot acknowledge a case; only staff can"),
        ("returned", "reassign", "reporter", "a reporter cannot reassign a case; only staff can"),
        ("resolved", "close", "reporter", "a reporter cannot close a case; only staff or system can"),
        (
            "waiting_for_info", "provide_info", "system",
            "the system cannot provide_info a case; only reporter or staff can",
        ),
    ],
)
def test_wrong_actor_is_refused(status, action, actor, message):
    with pytest.raises(IllegalTransition) as refused:
        _apply(status, action, actor)
    assert str(refused.value) == message


@pytest.mark.parametrize("note", [None, "", "   "])
@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("in_progress", "resolve", "resolve needs a note saying what was done"),
        ("resolved", "reopen", "reopen needs a reason"),
        ("new", "return_not_ours", "return_not_ours needs a reason"),
    ],
)
def test_actions_that_need_a_note_refuse_without_one(status, action, message, note):
    with pytest.raises(IllegalTransition, match=message):
        apply(status, action, actor="staff", note=note)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=6, hours=23), timedelta(days=7)])
def test_reporter_may_reopen_within_the_window(after):
    transition = apply(
        "resolved", "reopen", actor="reporter", note="still blocked",
        resolved_at=RESOLVED_AT, now=RESOLVED_AT + after,
    )
    assert transition.to_status == "in_progress"


def test_reporter_may_not_reopen_after_the_window():
    with pytest.raises(IllegalTransition) as refused:
        apply("resolved", "reopen", actor="reporter", note="still blocked",
              resolved_at=RESOLVED_AT, now=RESOLVED_AT + timedelta(days=8, hours=2))
    assert str(refused.value) == (
        "the reporter may reopen only within 7 days of resolution; this case was resolved 8 days 2 h ago"
    )


def test_the_reopen_window_is_a_parameter():
    kwargs = {"actor": "reporter", "note": "still blocked", "resolved_at": RESOLVED_AT,
              "reopen_window": timedelta(days=2)}
    assert apply("resolved", "reopen", now=RESOLVED_AT + timedelta(days=1), **kwargs)
    with pytest.raises(IllegalTransition, match="within 2 days"):
        apply("resolved", "reopen", now=RESOLVED_AT + timedelta(days=3), **kwargs)


@pytest.mark.parametrize("actor", ["staff", "system"])
def test_staff_and_system_may_reopen_any_time_after_a_failed_check(actor):
    late = RESOLVED_AT + timedelta(days=90)
    assert apply("resolved", "reopen", actor=actor, note="check failed", resolved_at=RESOLVED_AT, now=late)
    assert apply("resolved", "reopen", actor=actor, note="check failed")


def test_reporter_reopen_without_the_times_is_a_caller_bug():
    with pytest.raises(ValueError, match="resolved_at and now"):
        apply("resolved", "reopen", actor="reporter", note="still blocked")


def test_allowed_actions_per_status():
    assert {s: allowed_actions(s) for s in STATUSES} == {
        "new": ["acknowledge", "start", "return_not_ours", "reassign", "dismiss"],
        "acknowledged": ["start", "request_info", "resolve", "return_not_ours", "reassign", "dismiss"],
        "in_progress": ["request_info", "resolve", "return_not_ours", "dismiss"],
        "waiting_for_info": ["provide_info"],
        "resolved": ["close", "reopen"],
        "closed": [],
        "returned": ["reassign", "dismiss"],
    }
    assert allowed_actions("resolved", actor="reporter") == ["reopen"]
    assert allowed_actions("in_progress", actor="reporter") == []


def test_status_groups():
    assert OPEN_STATUSES == {"new", "acknowledged", "in_progress", "returned"}
    assert PAUSED_STATUSES == {"waiting_for_info"}
    assert TERMINAL == {"closed"}
    assert not (OPEN_STATUSES | PAUSED_STATUSES) & {"resolved", "closed"}


def test_unknown_inputs():
    with pytest.raises(IllegalTransition, match="unknown action 'delete'"):
        apply("new", "delete", actor="staff")
    with pytest.raises(ValueError, match="unknown case status 'open'"):
        apply("open", "acknowledge", actor="staff")
    with pytest.raises(ValueError, match="unknown actor kind 'mayor'"):
        apply("new", "acknowledge", actor="mayor")


def test_transitions_are_immutable():
    transition = apply("new", "acknowledge", actor="staff")
    with pytest.raises(dataclasses.FrozenInstanceError):
        transition.to_status = "closed"  # type: ignore[misc]
