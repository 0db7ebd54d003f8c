"""Working calendar: hours, lunch break, weekends, PRC holidays and adjusted working days."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.routing.domain.calendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CALENDAR_JSON = Path(__file__).parents[3] / "services" / "routing" / "policy" / "calendar_cn.json"


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock instant."""
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.from_json(CALENDAR_JSON)


@pytest.mark.parametrize(
    ("start", "hours", "end", "why"),
    [
        (sh(2025, 3, 3, 11, 0), 2, sh(2025, 3, 3, 14, 30), "lunch break 12:00–13:30 is skipped"),
        (sh(2025, 3, 3, 9, 0), 7.5, sh(2025, 3, 3, 18, 0), "a full day ends at close, not next morning"),
        (sh(2025, 3, 7, 17, 0), 2, sh(2025, 3, 10, 10, 0), "Friday evening runs into Monday"),
        (sh(2025, 3, 8, 23, 0), 1, sh(2025, 3, 10, 10, 0), "start on a weekend night"),
        (sh(2025, 4, 3, 17, 0), 2, sh(2025, 4, 7, 10, 0), "Qingming Apr 4–6 skipped"),
        (sh(2025, 1, 27, 17, 0), 2, sh(2025, 2, 5, 10, 0), "Spring Festival Jan 28–Feb 4 skipped"),
        (sh(2025, 1, 24, 17, 0), 2, sh(2025, 1, 26, 10, 0), "Sunday 2025-01-26 is a working day"),
        (sh(2025, 2, 7, 17, 30), 1, sh(2025, 2, 8, 9, 30), "Saturday 2025-02-08 is a working day"),
        (sh(2025, 9, 30, 17, 0), 2, sh(2025, 10, 9, 10, 0), "National Day Oct 1–8 skipped"),
        (sh(2026, 2, 13, 17, 0), 2, sh(2026, 2, 14, 10, 0), "2026 Spring Festival: Saturday Feb 14 works"),
    ],
)
def test_add_and_between_agree_on_known_cases(cal, start, hours, end, why):
    duration = timedelta(hours=hours)
    assert cal.add(start, duration) == end, why
    assert cal.between(start, end) == duration, why


def test_add_takes_any_aware_datetime_and_returns_utc(cal):
    result = cal.add(datetime(2025, 3, 3, 1, 0, tzinfo=UTC), timedelta(hours=1))  # 09:00 in Shanghai
    assert result.tzinfo is UTC
    assert result == datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add(datetime(2025, 3, 3, 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_working(datetime(2025, 3, 3, 9))


def test_zero_adds_nothing_and_negative_is_refused(cal):
    saturday = sh(2025, 3, 8, 12, 0)
    assert cal.add(saturday, timedelta(0)) == saturday
    with pytest.raises(ValueError, match="negative"):
        cal.add(saturday, timedelta(minutes=-1))


def test_between_is_negative_when_reversed(cal):
    a, b = sh(2025, 3, 3, 9, 0), sh(2025, 3, 4, 9, 0)
    assert cal.between(a, b) == timedelta(hours=7, minutes=30)
    assert cal.between(b, a) == -timedelta(hours=7, minutes=30)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (sh(2025, 3, 3, 8, 59, 59), False),
        (sh(2025, 3, 3, 9, 0), True),
        (sh(2025, 3, 3, 11, 59, 59), True),
        (sh(2025, 3, 3, 12, 0), False),
        (sh(2025, 3, 3, 13, 30), True),
        (sh(2025, 3, 3, 18, 0), False),
        (sh(2025, 3, 8, 10, 0), False),  # ordinary Saturday
        (sh(2025, 1, 26, 10, 0), True),  # adjusted working Sunday
        (sh(2025, 2, 8, 10, 0), True),  # adjusted working Saturday
        (sh(2025, 5, 5, 10, 0), False),  # Labour Day holiday on a Monday
        (sh(2025, 4, 27, 10, 0), True),  # Labour Day make-up Sunday
    ],
)
def test_is_working(cal, moment, working):
    assert cal.is_working(moment) is working


def test_between_of_add_is_the_duration_for_random_starts_and_lengths(cal):
    rng = random.Random(20250126)
    span = (datetime(2026, 12, 31, tzinfo=UTC) - datetime(2025, 1, 1, tzinfo=UTC)).total_seconds()
    for _ in range(400):
        a = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, span))
        d = timedelta(microseconds=rng.randrange(0, 15 * 27_000_000_000))  # up to 15 working days
        end = cal.add(a, d)
        assert end >= a
        assert cal.between(a, end) == d, (a, d)


def test_between_splits_additively(cal):
    rng = random.Random(7)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(200):
        a, m, b = sorted(base + timedelta(minutes=rng.randrange(0, 60 * 24 * 700)) for _ in range(3))
        assert cal.between(a, m) + cal.between(m, b) == cal.between(a, b)


def test_shipped_data_has_248_working_days_in_2025_and_2026(cal):
    # Hand count: 261 weekdays, minus 18 (2025) / 19 (2026) holiday weekdays, plus 5 / 6 make-up days.
    for year in (2025, 2026):
        days = [date(year, 1, 1) + timedelta(days=n) for n in range(365)]
        assert sum(cal.is_working_day(d) for d in days) == 248, year


def test_shipped_data_says_which_years_it_covers(cal):
    assert cal.covers(date(2025, 6, 1)) and cal.covers(date(2026, 6, 1))
    assert not cal.covers(date(2027, 1, 1))
    assert cal.day_length == timedelta(hours=7, minutes=30)


def test_hours_and_weekdays_are_configurable():
    six_days = WorkCalendar(hours=[(time(8, 0), time(17, 0))], weekdays=range(6), timezone="UTC")
    saturday = datetime(2025, 3, 8, 16, 0, tzinfo=UTC)
    assert six_days.is_working(saturday)
    assert six_days.add(saturday, timedelta(hours=2)) == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"years": [{"year": 2025, "holidays": [
            {"name": "x", "from": "2025-03-03", "to": "2025-03-03", "working_days": ["2025-03-04"]}]}]},
         "rest days"),
        ({"working_hours": [["09:00", "12:00"], ["11:00", "18:00"]]}, "disjoint"),
        ({"years": [{"year": 2025, "holidays": [{"name": "x", "from": "2025-03-05", "to": "2025-03-03"}]}]},
         "ends before"),
    ],
)
def test_bad_calendar_data_is_refused(data, message):
    with pytest.raises(ValueError, match=message):
        WorkCalendar.from_dict(data)
