"""How a case's progress reads on the report: its status and a sentence for the worker."""

from __future__ import annotations

# The worker sees the case's own status, except that a new case is simply "routed".
_STATUS = {"new": "routed"}

_ACTION_NOTES = {
    "acknowledge": "acknowledged by the community",
    "start": "being handled",
    "request_info": "the community asks for more information",
    "provide_info": "information provided; being handled",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "reopened",
    "return_not_ours": "returned to the street/town for reassignment",
    "reassign": "reassigned to community {community}",
    "dismiss": "closed: not found to be a real problem",
}

# Which case moves end a report, and how; the volunteer points ledger credits only "resolved".
OUTCOMES = {"resolve": "resolved", "dismiss": "dismissed"}


def report_status(case_status: str) -> str:
    """The report status that mirrors a case status."""
    return _STATUS.get(case_status, case_status)


def transition_note(action: str, note: str | None, community: str | None) -> str:
    """A sentence on what just happened to the case, with the staff note when there is one."""
    text = _ACTION_NOTES.get(action, action).format(community=community or "?")
    return f"{text}: {note}" if note else text


def routed_note(community: str | None) -> str:
    """Where a new case went."""
    return f"routed to community {community}" if community else "routed to the district triage queue"


def joined_note(cluster_size: int) -> str:
    """A report that joined an open case of the same thing."""
    return f"joined an open case about the same thing ({cluster_size} reports)"


def escalated_note(unit_name: str, level: int) -> str:
    """An overdue case that went up the ladder."""
    return f"overdue: escalated to {unit_name} (level {level})"
