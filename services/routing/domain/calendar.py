"""Working calendar: office hours, public holidays and adjusted working days (调休), as data."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = "Asia/Shanghai"
DEFAULT_HOURS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))
DEFAULT_WEEKDAYS = frozenset(range(5))  # date.weekday(): Monday is 0
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZERO = timedelta(0)


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"need a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


class WorkCalendar:
    """Which instants are working time, and exact working-time arithmetic over them."""

    def __init__(
        self,
        *,
        hours: Iterable[tuple[time, time]] = DEFAULT_HOURS,
        weekdays: Iterable[int] = DEFAULT_WEEKDAYS,
        holidays: Iterable[date] = (),
        working_days: Iterable[date] = (),
        timezone: str = SHANGHAI,
        years: Iterable[int] = (),
    ) -> None:
        self._hours = tuple(sorted(hours))
        self._weekdays = frozenset(weekdays)
        self._holidays = frozenset(holidays)
        self._working_days = frozenset(working_days)
        self._tz = ZoneInfo(timezone)
        self.years = frozenset(years)
        if not self._hours or not self._weekdays or not self._weekdays <= set(range(7)):
            raise ValueError("a calendar needs working hours and at least one working weekday 0–6")
        for (start, end), (next_start, _) in zip(
            self._hours, (*self._hours[1:], (time.max, time.max)), strict=True
        ):
            if not start < end <= next_start:
                raise ValueError(f"working hours must be ordered, non-empty and disjoint: {start}–{end}")
        if clash := self._holidays & self._working_days:
            raise ValueError(f"dates both holiday and working day: {sorted(clash)}")
        # An adjusted working day on a normal weekday is almost always a typo in the data.
        if odd := sorted(d for d in self._working_days if d.weekday() in self._weekdays):
            raise ValueError(f"adjusted working days must fall on rest days: {odd}")
        # Each day's windows as UTC instants, computed once: add() runs for every deadline.
        self._day_windows: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        # Length of a full working day: what "one working day" means in an SLA rule.
        self.day_length = sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a) for a, b in self._hours), _ZERO
        )

    @classmethod
    def from_json(cls, path: str | Path) -> WorkCalendar:
        """A calendar from a JSON file shaped like services/routing/policy/calendar_cn.json."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkCalendar:
        """A calendar from already-parsed JSON data."""
        holidays: set[date] = set()
        working: set[date] = set()
        for year in data.get("years", ()):
            for period in year.get("holidays", ()):
                first, last = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
                if last < first:
                    raise ValueError(f"holiday {period.get('name')} ends before it starts")
                holidays.update(first + timedelta(days=n) for n in range((last - first).days + 1))
                working.update(date.fromisoformat(d) for d in period.get("working_days", ()))
        return cls(
            hours=[(time.fromisoformat(a), time.fromisoformat(b)) for a, b in data.get("working_hours", ())]
            or DEFAULT_HOURS,
            weekdays=[_WEEKDAY_NAMES.index(name) for name in data.get("working_weekdays", ())]
            or DEFAULT_WEEKDAYS,
            holidays=holidays,
            working_days=working,
            timezone=data.get("timezone", SHANGHAI),
            years=[int(year["year"]) for year in data.get("years", ())],
        )

    def covers(self, day: date) -> bool:
        """Whether the holiday data knows this day's year; outside it only weekdays count."""
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        """Whether a local calendar day has working hours at all."""
        if day in self._holidays:
            return False
        return day in self._working_days or day.weekday() in self._weekdays

    def is_working(self, moment: datetime) -> bool:
        """Whether an instant falls inside working hours (window start inclusive, end exclusive)."""
        moment = _utc(moment)
        local_day = moment.astimezone(self._tz).date()
        return any(start <= moment < end for start, end in self._windows(local_day))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The UTC instant after `duration` of working time from `start`; zero returns start."""
        if duration < _ZERO:
            raise ValueError(f"cannot add negative working time {duration}")
        moment, remaining = _utc(start), duration
        if not remaining:
            return moment
        day = moment.astimezone(self._tz).date()
        while True:  # ends: every week has a working weekday and holidays are finite
            for window_start, window_end in self._windows(day):
                if window_end <= moment:
                    continue
                begin = max(window_start, moment)
                # `<=` so that work filling a window exactly ends at its close, not next morning.
                if remaining <= window_end - begin:
                    return begin + remaining
                remaining -= window_end - begin
            day += timedelta(days=1)

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from a to b; negative when b is before a."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.between(b, a)
        total = _ZERO
        day, last = a.astimezone(self._tz).date(), b.astimezone(self._tz).date()
        while day <= last:
            for window_start, window_end in self._windows(day):
                low, high = max(window_start, a), min(window_end, b)
                if high > low:
                    total += high - low
            day += timedelta(days=1)
        return total

    def _windows(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's working windows as UTC instants, so subtraction is true elapsed time."""
        found = self._day_windows.get(day)
        if found is None:
            if len(self._day_windows) > 4096:  # years of days; a long-running process stays small
                self._day_windows.clear()
            found = self._day_windows[day] = (
                tuple(
                    (
                        datetime.combine(day, start, tzinfo=self._tz).astimezone(UTC),
                        datetime.combine(day, end, tzinfo=self._tz).astimezone(UTC),
                    )
                    for start, end in self._hours
                )
                if self.is_working_day(day)
                else ()
            )
        return found
