"""Points rules (志愿积分): what each verified deed earns, the daily cap, and what stations charge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAILY_CAP = "daily_cap"


class UnknownItem(Exception):
    """A station item with no price."""


def shanghai_day(at: datetime) -> date:
    """The calendar day in Chongqing (Asia/Shanghai time) of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("a timezone-aware time is needed to find its day")
    return at.astimezone(SHANGHAI).date()


def capped(requested: int, credited_that_day: int, cap: int) -> tuple[int, str | None]:
    """Points actually credited under the daily cap, and why fewer than asked (None when all)."""
    room = max(cap - credited_that_day, 0)
    points = min(requested, room)
    return points, (DAILY_CAP if points < requested else None)


@dataclass(frozen=True)
class PointsRules:
    """The programme's rules table; all quantities are whole points."""

    per_resolved_report: Mapping[str, int] = field(default_factory=dict)
    per_wish_share: int = 0
    per_visit: int = 0
    daily_cap: int = 0
    prices: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        amounts = [*self.per_resolved_report.values(), self.per_wish_share, self.per_visit,
                   self.daily_cap, *self.prices.values()]
        if any(not isinstance(a, int) or isinstance(a, bool) or a < 0 for a in amounts):
            raise ValueError("points rules must be whole, non-negative numbers")
        if any(p == 0 for p in self.prices.values()):
            raise ValueError("a station item must cost at least one point")

    def for_outcome(self, kind: str, outcome: str) -> int:
        """A resolved report earns its kind's points; a dismissed one earns nothing."""
        if outcome != "resolved":
            return 0
        return self.per_resolved_report.get(kind, 0)

    def for_wish(self, shares: int) -> int:
        """A fulfilled wish earns the donor points per share given."""
        return self.per_wish_share * shares

    def for_visit(self) -> int:
        """A logged visit earns the visiting volunteer a fixed amount, whatever they found."""
        return self.per_visit

    def price(self, item: str) -> int:
        """What a station item costs; UnknownItem if the programme does not offer it."""
        if item not in self.prices:
            raise UnknownItem(f"unknown item {item!r}; one of {', '.join(sorted(self.prices))}")
        return self.prices[item]
