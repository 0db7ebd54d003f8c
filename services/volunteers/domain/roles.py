"""The six volunteer roles (六员) and the rules for asking for, confirming and declining them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

ROLES: tuple[str, ...] = (
    "policy_promoter",
    "hazard_inspector",
    "civility_persuader",
    "elderly_carer",
    "voices_collector",
    "food_safety_supervisor",
)
RoleStatus = Literal["pending", "confirmed", "declined"]


class RoleRefused(Exception):
    """A role request or decision that cannot be accepted; the message names the problem."""

    def __init__(self, message: str, *, field: str = "roles") -> None:
        super().__init__(message)
        self.field = field


class NotPending(RoleRefused):
    """A decision on a role that is not waiting for one."""


def requested_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The asked-for roles, known and de-duplicated, in the canonical order."""
    asked = set(roles)
    unknown = sorted(asked - set(ROLES))
    if unknown:
        raise RoleRefused(f"unknown roles {', '.join(unknown)}; one of {', '.join(ROLES)}")
    if not asked:
        raise RoleRefused("ask for at least one role")
    return tuple(r for r in ROLES if r in asked)


def roles_to_decide(
    current: dict[str, RoleStatus], named: Iterable[str] | None
) -> tuple[str, ...]:
    """Which pending roles a decision covers: those named, or every pending one when none are named."""
    pending = tuple(r for r in ROLES if current.get(r) == "pending")
    if named is None:
        if not pending:
            raise NotPending("no role is waiting for a decision")
        return pending
    chosen = requested_roles(named)
    not_pending = [r for r in chosen if current.get(r) != "pending"]
    if not_pending:
        raise NotPending(f"not waiting for a decision: {', '.join(not_pending)}")
    return chosen


def after_request(current: dict[str, RoleStatus], asked: Iterable[str]) -> dict[str, RoleStatus]:
    """Role statuses after a new request: new or declined roles wait again, confirmed ones stay."""
    result = dict(current)
    for role in asked:
        if result.get(role) != "confirmed":
            result[role] = "pending"
    return result
