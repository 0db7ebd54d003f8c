"""The part of the dashboard feed each role may stream."""

from __future__ import annotations

import pytest

from services.notify.domain.scope import FeedScope, ScopeRefused, scope_for

COMMUNITY = "500112003001"
STREET = "500112003"


def test_community_staff_see_their_community_only():
    assert scope_for("community_staff", COMMUNITY, STREET) == FeedScope(community_code=COMMUNITY)


def test_street_staff_see_their_street():
    assert scope_for("street_staff", COMMUNITY, STREET) == FeedScope(street_code=STREET)


@pytest.mark.parametrize("role", ["district_staff", "ops"])
def test_district_staff_and_ops_see_everything(role):
    scope = scope_for(role, COMMUNITY, STREET)
    assert (scope.community_code, scope.street_code) == (None, None)


def test_worker_is_refused():
    with pytest.raises(ScopeRefused, match="worker"):
        scope_for("worker", COMMUNITY, STREET)


@pytest.mark.parametrize(
    ("role", "community", "street"),
    [("community_staff", None, STREET), ("community_staff", "", STREET), ("street_staff", COMMUNITY, None)],
)
def test_staff_without_their_jurisdiction_are_refused_not_widened(role, community, street):
    with pytest.raises(ScopeRefused):
        scope_for(role, community, street)


def test_unknown_role_is_refused():
    with pytest.raises(ScopeRefused):
        scope_for("admin", None, None)
