"""What a wish is: categories, donor kinds, the rules a new wish must meet, and when it expires."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CATEGORIES = ("clothing", "repair", "legal_help", "schooling", "health", "daily_needs", "other")
DONOR_KINDS = ("merchant", "volunteer", "party_member_team", "resident")
COMMUNITY_CENTRE = "community centre"
# Dates are the workers' dates: a wish wanted by 3 March may be met until that day ends in Chongqing.
LOCAL = ZoneInfo("Asia/Shanghai")
_COMMUNITY_CODE = re.compile(r"^\d{12}$")


class InvalidWish(Exception):
    """A wish that breaks a rule; ``field`` names the input at fault."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class WishDraft:
    """A wish as the worker wrote it, before it is stored."""

    title: str
    details: str
    why: str
    category: str
    wanted_by: date
    handover: str
    community_code: str
    shares: int = 1


def street_of(community_code: str) -> str:
    """The street or town a community belongs to: the first 9 digits of its 12-digit code."""
    return community_code[:9]


def local_date(at: datetime) -> date:
    """The calendar date in Chongqing at an instant."""
    return at.astimezone(LOCAL).date()


def expires_at(wanted_by: date) -> datetime:
    """The instant a wish lapses: the end of its wanted-by day in Chongqing."""
    return datetime.combine(wanted_by + timedelta(days=1), time(0, 0), tzinfo=LOCAL)


def check_draft(draft: WishDraft, *, now: datetime, max_shares: int, max_days_ahead: int) -> WishDraft:
    """The draft, tidied, or InvalidWish naming the first field that breaks a rule."""
    title = draft.title.strip()
    if not title:
        raise InvalidWish("title", "say what you wish for")
    if draft.category not in CATEGORIES:
        raise InvalidWish("category", f"must be one of {', '.join(CATEGORIES)}")
    if not _COMMUNITY_CODE.match(draft.community_code):
        raise InvalidWish("community_code", "must be a 12-digit community code")
    if not 1 <= draft.shares <= max_shares:
        raise InvalidWish("shares", f"must be between 1 and {max_shares}")
    today = local_date(now)
    if draft.wanted_by < today:
        raise InvalidWish("wanted_by", f"is in the past (today is {today.isoformat()})")
    if draft.wanted_by > today + timedelta(days=max_days_ahead):
        raise InvalidWish("wanted_by", f"must be within {max_days_ahead} days")
    handover = normalise_handover(draft.handover)
    return WishDraft(
        title=title, details=draft.details.strip(), why=draft.why.strip(), category=draft.category,
        wanted_by=draft.wanted_by, handover=handover, community_code=draft.community_code,
        shares=draft.shares,
    )


def normalise_handover(handover: str) -> str:
    """A warm-station id as given, or the canonical "community centre" however it was typed."""
    text = handover.strip()
    if not text:
        raise InvalidWish("handover", f"name a warm station id or {COMMUNITY_CENTRE!r}")
    if " ".join(text.lower().replace("_", " ").split()) == COMMUNITY_CENTRE:
        return COMMUNITY_CENTRE
    return text


def default_donor_kind(volunteer_roles: frozenset[str]) -> str:
    """A donor who said nothing about themselves: a volunteer if their token names roles."""
    return "volunteer" if volunteer_roles else "resident"
