"""The case state machine: which action moves a case from which status, and who may do it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STATUSES = ("new", "acknowledged", "in_progress", "waiting_for_info", "resolved", "closed", "returned")
# Statuses whose deadlines keep running. "returned" is here on purpose: a community saying
# "not ours" must not stop the clock, or returning would become a way to dodge an SLA.
OPEN_STATUSES = frozenset({"new", "acknowledged", "in_progress", "returned"})
# Still open, but the clock waits for the reporter; deadlines are extended on resume.
PAUSED_STATUSES = frozenset({"waiting_for_info"})
TERMINAL = frozenset({"closed"})
ACTORS = frozenset({"staff", "reporter", "system"})


class IllegalTransition(Exception):
    """An action that the case's status, the actor or the missing note does not allow."""


@dataclass(frozen=True)
class Transition:
    """One allowed move, with what it does to the SLA clock."""

    from_status: str
    to_status: str
    action: str
    pauses_clock: bool = False
    resumes_clock: bool = False


@dataclass(frozen=True)
class _Move:
    """One row of the transition table."""

    sources: tuple[str, ...]
    target: str
    actors: frozenset[str]
    note_named: str | None = None  # what the required note is called in messages; None: optional
    pauses_clock: bool = False
    resumes_clock: bool = False


_STAFF = frozenset({"staff"})
# Which jurisdiction level the staff member belongs to (community for return_not_ours, street
# or district for reassign) is checked by the caller, which knows the user; this table only
# knows actor kinds.
_MOVES: dict[str, _Move] = {
    "acknowledge": _Move(("new",), "acknowledged", _STAFF),
    "start": _Move(("new", "acknowledged"), "in_progress", _STAFF),
    "request_info": _Move(("acknowledged", "in_progress"), "waiting_for_info", _STAFF, pauses_clock=True),
    "provide_info": _Move(
        ("waiting_for_info",), "in_progress", frozenset({"reporter", "staff"}), resumes_clock=True
    ),
    "resolve": _Move(
        ("acknowledged", "in_progress"), "resolved", _STAFF, note_named="a note saying what was done"
    ),
    "close": _Move(("resolved",), "closed", frozenset({"staff", "system"})),
    "reopen": _Move(
        ("resolved",), "in_progress", frozenset({"reporter", "staff", "system"}), note_named="a reason"
    ),
    "return_not_ours": _Move(
        ("new", "acknowledged", "in_progress"), "returned", _STAFF, note_named="a reason"
    ),
    "reassign": _Move(("returned", "new", "acknowledged"), "new", _STAFF),
    # A report that turns out false (nothing there, a prank) is closed without credit.
    "dismiss": _Move(
        ("new", "acknowledged", "in_progress", "returned"), "closed", _STAFF,
        note_named="a reason saying why it is not a real problem",
    ),
}
ACTIONS = tuple(_MOVES)


def allowed_actions(status: str, *, actor: str | None = None) -> list[str]:
    """Actions possible from a status (optionally only those this actor kind may do), in table order."""
    _check_status(status)
    return [
        name
        for name, move in _MOVES.items()
        if status in move.sources and (actor is None or actor in move.actors)
    ]


def apply(
    status: str,
    action: str,
    *,
    actor: str,
    note: str | None = None,
    resolved_at: datetime | None = None,
    now: datetime | None = None,
    reopen_window: timedelta = timedelta(days=7),
) -> Transition:
    """The transition `action` makes from `status`, or IllegalTransition saying why not."""
    _check_status(status)
    if actor not in ACTORS:
        raise ValueError(f"unknown actor kind {actor!r}; expected one of {sorted(ACTORS)}")
    move = _MOVES.get(action)
    if move is None:
        raise IllegalTransition(f"unknown action {action!r}; known actions: {', '.join(ACTIONS)}")
    if status not in move.sources:
        allowed = ", ".join(allowed_actions(status)) or f"nothing, {status} is final"
        raise IllegalTransition(f"cannot {action} a case that is {status}; allowed now: {allowed}")
    if actor not in move.actors:
        who = " or ".join(sorted(move.actors))
        raise IllegalTransition(f"{_article(actor)} cannot {action} a case; only {who} can")
    if move.note_named and not (note and note.strip()):
        raise IllegalTransition(f"{action} needs {move.note_named}")
    if action == "reopen" and actor == "reporter":
        _check_reopen_window(resolved_at, now, reopen_window)
    return Transition(status, move.target, action, move.pauses_clock, move.resumes_clock)


def _check_reopen_window(resolved_at: datetime | None, now: datetime | None, window: timedelta) -> None:
    """Refuse a reporter's reopen that comes after the window; staff and system have no window."""
    if resolved_at is None or now is None:
        # A caller bug, not a user error: the rule cannot be judged without both instants.
        raise ValueError("a reporter's reopen needs resolved_at and now")
    if now - resolved_at > window:
        raise IllegalTransition(
            f"the reporter may reopen only within {_span(window)} of resolution; "
            f"this case was resolved {_span(now - resolved_at)} ago"
        )


def _check_status(status: str) -> None:
    """Unknown statuses are stored-data bugs, so they raise ValueError, not IllegalTransition."""
    if status not in STATUSES:
        raise ValueError(f"unknown case status {status!r}; expected one of {', '.join(STATUSES)}")


def _article(actor: str) -> str:
    """Actor kind as a phrase for messages."""
    return "the system" if actor == "system" else f"a {actor}"


def _span(span: timedelta) -> str:
    """A duration in days and hours for people, e.g. '8 days 2 h'."""
    hours = int(span.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    return " ".join([*parts, f"{hours} h"] if hours or not days else parts)
