"""What a new wish must be: category, community, shares, a date not past and not too far, a hand-over."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from services.wishes.domain.wish import (
    COMMUNITY_CENTRE,
    InvalidWish,
    WishDraft,
    check_draft,
    default_donor_kind,
    expires_at,
    local_date,
    street_of,
)

# 2026-03-01 17:30 UTC is already 2 March in Chongqing.
NOW = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
DRAFT = WishDraft(
    title="  Phone screen repair ", details="Redmi Note 12", why="I navigate with it", category="repair",
    wanted_by=date(2026, 3, 10), handover="st-0042", community_code="500112002001", shares=1,
)


def check(**changes) -> WishDraft:
    return check_draft(dataclasses.replace(DRAFT, **changes), now=NOW, max_shares=10, max_days_ahead=30)


def test_a_good_draft_is_tidied():
    wish = check()
    assert (wish.title, wish.handover) == ("Phone screen repair", "st-0042")


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "   "}, "title"),
    ({"category": "food"}, "category"),
    ({"community_code": "50011200200"}, "community_code"),
    ({"community_code": "50011200200x"}, "community_code"),
    ({"shares": 0}, "shares"),
    ({"shares": 11}, "shares"),
    ({"wanted_by": date(2026, 3, 1)}, "wanted_by"),  # yesterday in Chongqing, though still today in UTC
    ({"wanted_by": date(2026, 4, 2)}, "wanted_by"),
    ({"handover": " "}, "handover"),
])
def test_a_bad_draft_names_the_field(changes, field):
    with pytest.raises(InvalidWish) as err:
        check(**changes)
    assert err.value.field == field


def test_today_in_chongqing_is_still_a_valid_day():
    assert local_date(NOW) == date(2026, 3, 2)
    assert check(wanted_by=date(2026, 3, 2)).wanted_by == date(2026, 3, 2)


@pytest.mark.parametrize(
    "typed", ["community centre", "Community Centre", " community_centre ", "COMMUNITY  CENTRE"]
)
def test_the_community_centre_is_recognised_however_it_is_typed(typed):
    assert check(handover=typed).handover == COMMUNITY_CENTRE


def test_a_wish_lapses_when_its_day_ends_in_chongqing():
    assert expires_at(date(2026, 3, 4)) == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


def test_street_is_the_first_nine_digits():
    assert street_of("500112002001") == "500112002"


def test_donor_kind_defaults_from_volunteer_roles():
    assert default_donor_kind(frozenset({"elderly_carer"})) == "volunteer"
    assert default_donor_kind(frozenset()) == "resident"
