"""Opening hours: a weekly schedule of intervals (over midnight, 24h) in Asia/Shanghai time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY = 1440
WEEK = 7 * DAY
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Interval = tuple[int, int]  # minutes from the day's midnight; end > 1440 runs into the next day


class HoursError(ValueError):
    """An opening-hours text that cannot be read."""


def _minutes(h: str, m: str, *, end: bool) -> int:
    hour, minute = int(h), int(m)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not end)):
        raise HoursError(f"no such time {h}:{m}")
    return hour * 60 + minute


def _days(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise HoursError(f"unknown days {part!r}; use Mo Tu We Th Fr Sa Su, ranges like Mo-Fr")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        # A range may wrap the week ("Fr-Mo"), as people write it.
        out += [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    return out


def _intervals(spec: str) -> tuple[Interval, ...]:
    if spec in ("off", "closed"):
        return ()
    if spec == "24h":
        return ((0, DAY),)
    out = []
    for part in spec.split(","):
        match = _TIME.match(part.strip())
        if not match:
            raise HoursError(f"unreadable time range {part!r}; write it like 08:00-22:00")
        start = _minutes(*match.group(1, 2), end=False)
        stop = _minutes(*match.group(3, 4), end=True)
        # An end at or before the start means the interval runs past midnight (22:00-02:00).
        out.append((start, stop if stop > start else stop + DAY))
    return tuple(sorted(out))


@dataclass(frozen=True)
class OpeningHours:
    """Intervals per weekday (Monday first), each in minutes from that day's local midnight."""

    week: tuple[tuple[Interval, ...], ...]

    @classmethod
    def parse(cls, text: str) -> OpeningHours:
        """Read "24h" or rules like "Mo-Fr 08:00-12:00,14:00-18:00; Sa 22:00-02:00; Su off"."""
        text = " ".join(text.split())
        if not text:
            raise HoursError("opening hours are empty")
        if text.lower() in ("24h", "24/7"):
            return cls((((0, DAY),),) * 7)
        week: list[tuple[Interval, ...]] = [()] * 7
        for rule in filter(None, (r.strip() for r in text.split(";"))):
            days_spec, _, times = rule.partition(" ") if rule[:2] in DAYS else ("Mo-Su", "", rule)
            intervals = _intervals(times.strip().lower() or "off")
            for day in _days(days_spec):
                week[day] = intervals  # a later rule overrides an earlier one for its days
        return cls(tuple(week))

    def weekly(self) -> list[Interval]:
        """Merged open stretches in minutes from Monday 00:00, wrapped into [0, WEEK)."""
        return list(self._weekly)

    @cached_property
    def _weekly(self) -> tuple[Interval, ...]:
        # Cached: the merge runs once per station, not once per query.
        raw: list[Interval] = []
        for day, intervals in enumerate(self.week):
            for start, end in intervals:
                s, e = day * DAY + start, day * DAY + end
                raw += [(s, min(e, WEEK))] + ([(0, e - WEEK)] if e > WEEK else [])
        merged: list[list[int]] = []
        for s, e in sorted(raw):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return tuple((s, e) for s, e in merged)

    @property
    def always_open(self) -> bool:
        """Open around the clock, every day."""
        return self.weekly() == [(0, WEEK)]

    def is_open(self, at: datetime) -> bool:
        """Whether it is open at an instant (any timezone-aware datetime)."""
        w = week_minute(at)
        return any(s <= w < e for s, e in self.weekly())

    def closes_at(self, at: datetime) -> datetime | None:
        """When the open stretch containing an instant ends; None if closed then or never closing."""
        stretches = self.weekly()
        w = week_minute(at)
        current = next(((s, e) for s, e in stretches if s <= w < e), None)
        if current is None or stretches == [(0, WEEK)]:
            return None
        end = current[1]
        if end == WEEK and stretches[0][0] == 0:
            end = WEEK + stretches[0][1]  # Sunday night runs on into Monday morning
        local = at.astimezone(SHANGHAI)
        monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        return monday + timedelta(minutes=end)

    def text(self) -> str:
        """The canonical text form, grouping consecutive days with the same intervals."""
        if self.always_open:
            return "24h"
        rules, day = [], 0
        while day < 7:
            last = day
            while last + 1 < 7 and self.week[last + 1] == self.week[day]:
                last += 1
            days = DAYS[day] if last == day else f"{DAYS[day]}-{DAYS[last]}"
            rules.append(f"{days} {_format(self.week[day])}")
            day = last + 1
        return "; ".join(rules)


def _format(intervals: tuple[Interval, ...]) -> str:
    if not intervals:
        return "off"
    if intervals == ((0, DAY),):
        return "24h"
    return ",".join(f"{_hhmm(s)}-{_hhmm(e % DAY if e > DAY else e)}" for s, e in intervals)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def week_minute(at: datetime) -> int:
    """Minutes since Monday 00:00 Asia/Shanghai for a timezone-aware instant."""
    if at.tzinfo is None:
        raise ValueError("a timezone-aware datetime is needed")
    local = at.astimezone(SHANGHAI)
    return local.weekday() * DAY + local.hour * 60 + local.minute
