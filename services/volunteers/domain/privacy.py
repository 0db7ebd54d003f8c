"""Who may see what of an elderly resident: the address and phone only their carer and community."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.auth import Principal

Visibility = Literal["full", "existence", "none"]


@dataclass(frozen=True)
class ElderScope:
    """Where an elder lives (community and its street) and who is paired with them now."""

    community_code: str
    paired_volunteer: str | None

    @property
    def street_code(self) -> str:
        """The street or town: the first nine digits of a community code."""
        return self.community_code[:9]


def visibility(principal: Principal, elder: ElderScope) -> Visibility:
    """How much of an elder's record the principal may see."""
    if principal.role == "community_staff":
        return "full" if principal.community == elder.community_code else "none"
    if principal.role == "worker":
        # Only the volunteer paired with them now; other volunteers do not learn they exist.
        return "full" if elder.paired_volunteer == principal.subject else "none"
    if principal.role == "street_staff":
        return "existence" if principal.street == elder.street_code else "none"
    if principal.role in ("district_staff", "ops"):
        return "existence"
    return "none"


def can_schedule(principal: Principal, elder: ElderScope) -> bool:
    """Community staff of the elder's community, or the paired volunteer, schedule visits."""
    if principal.role == "community_staff":
        return principal.community == elder.community_code
    return principal.role == "worker" and principal.subject == elder.paired_volunteer
