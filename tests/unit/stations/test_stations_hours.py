"""Opening hours: weekday rules, several intervals, over midnight, 24h, closing time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.stations.domain.hours import SHANGHAI, HoursError, OpeningHours

MON = 0  # days after Monday 2026-11-30


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai-local instant, counted in days from Monday 2026-11-30."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=SHANGHAI) + timedelta(days=day)


def test_weekday_rules_with_two_intervals_and_a_day_off():
    h = OpeningHours.parse("Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00; Su off")
    assert h.is_open(at(MON, 8, 0))
    assert not h.is_open(at(MON, 12, 0))  # the end minute is already closed
    assert not h.is_open(at(MON, 13, 59))
    assert h.is_open(at(MON + 4, 17, 59))  # Friday
    assert h.is_open(at(MON + 5, 11, 0)) and not h.is_open(at(MON + 5, 14, 0))  # Saturday
    assert not h.is_open(at(MON + 6, 10, 0))  # Sunday


def test_an_interval_over_midnight_belongs_to_the_day_it_starts():
    h = OpeningHours.parse("Fr-Sa 22:00-02:00")
    assert h.is_open(at(MON + 5, 1, 30))  # Saturday 01:30, from Friday night
    assert h.is_open(at(MON + 6, 1, 59))  # Sunday 01:59, from Saturday night
    assert not h.is_open(at(MON + 6, 2, 0))
    assert not h.is_open(at(MON + 4, 1, 0))  # Friday 01:00: Thursday night was closed
    assert h.closes_at(at(MON + 4, 23, 0)) == at(MON + 5, 2, 0)


def test_sunday_night_runs_into_monday_morning():
    h = OpeningHours.parse("Su 20:00-03:00")
    assert h.is_open(at(MON, 2, 0))  # Monday 02:00, from the Sunday before
    assert h.closes_at(at(MON + 6, 23, 0)) == at(MON + 7, 3, 0)


def test_24h_is_always_open_and_never_closes():
    h = OpeningHours.parse("24h")
    assert h.always_open and h.text() == "24h"
    assert h.is_open(at(MON + 3, 3, 33))
    assert h.closes_at(at(MON + 3, 3, 33)) is None


def test_contiguous_stretches_close_at_their_joint_end():
    h = OpeningHours.parse("Mo-Su 18:00-24:00; Tu 00:00-24:00")
    # Monday 18:00 to the end of Tuesday, then Tuesday 18:00-24:00 overlaps it.
    assert h.closes_at(at(MON, 19, 0)) == at(MON + 2, 0, 0)
    assert not h.always_open


def test_closes_at_is_none_when_closed_and_times_compare_across_zones():
    h = OpeningHours.parse("Mo-Su 08:00-20:00")
    assert h.closes_at(at(MON, 21, 0)) is None
    # 01:00 UTC is 09:00 in Shanghai.
    utc = datetime.fromisoformat("2026-11-30T01:00:00+00:00")
    assert h.is_open(utc) and h.closes_at(utc) == at(MON, 20, 0)


def test_later_rules_override_earlier_ones_and_text_is_canonical():
    h = OpeningHours.parse("08:00-20:00; Sa-Su 10:00-16:00")
    assert h.text() == "Mo-Fr 08:00-20:00; Sa-Su 10:00-16:00"
    assert OpeningHours.parse(h.text()) == h
    assert OpeningHours.parse("Mo-Su 22:00-02:00").text() == "Mo-Su 22:00-02:00"


@pytest.mark.parametrize("text", ["", "Mo-Fr 8-18", "Xx 08:00-10:00", "Mo 25:00-26:00", "Mo 08:61-09:00"])
def test_unreadable_hours_are_refused(text):
    with pytest.raises(HoursError):
        OpeningHours.parse(text)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        OpeningHours.parse("24h").is_open(datetime(2026, 11, 30, 8))
