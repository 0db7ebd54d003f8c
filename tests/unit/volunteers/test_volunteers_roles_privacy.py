"""Volunteer role requests and decisions, and who may see an elderly resident's address."""

from __future__ import annotations

import pytest

from services.volunteers.domain.privacy import ElderScope, can_schedule, visibility
from services.volunteers.domain.roles import (
    NotPending,
    RoleRefused,
    after_request,
    requested_roles,
    roles_to_decide,
)
from shared.auth import Principal

HOME = "500112002001"
ELDER = ElderScope(HOME, "w-carer")


def test_requested_roles_are_known_and_in_canonical_order():
    assert requested_roles(["elderly_carer", "policy_promoter", "elderly_carer"]) == (
        "policy_promoter", "elderly_carer")
    with pytest.raises(RoleRefused, match="unknown roles astronaut"):
        requested_roles(["astronaut"])
    with pytest.raises(RoleRefused):
        requested_roles([])


def test_a_new_request_keeps_confirmed_roles_and_reopens_declined_ones():
    current = {"hazard_inspector": "confirmed", "elderly_carer": "declined"}
    assert after_request(current, ["hazard_inspector", "elderly_carer", "voices_collector"]) == {
        "hazard_inspector": "confirmed", "elderly_carer": "pending", "voices_collector": "pending"}


def test_a_decision_covers_pending_roles_only():
    current = {"hazard_inspector": "confirmed", "elderly_carer": "pending", "voices_collector": "pending"}
    assert roles_to_decide(current, None) == ("elderly_carer", "voices_collector")
    assert roles_to_decide(current, ["elderly_carer"]) == ("elderly_carer",)
    with pytest.raises(NotPending):
        roles_to_decide(current, ["hazard_inspector"])
    with pytest.raises(NotPending):
        roles_to_decide({"hazard_inspector": "confirmed"}, None)


@pytest.mark.parametrize(("principal", "expected"), [
    (Principal("c1", "community_staff", community=HOME), "full"),
    (Principal("c2", "community_staff", community="500112002002"), "none"),
    (Principal("w-carer", "worker"), "full"),
    (Principal("w-other", "worker", volunteer_roles=frozenset({"elderly_carer"})), "none"),
    (Principal("s1", "street_staff", street="500112002"), "existence"),
    (Principal("s2", "street_staff", street="500112003"), "none"),
    (Principal("d1", "district_staff"), "existence"),
    (Principal("o1", "ops"), "existence"),
])
def test_only_the_paired_volunteer_and_the_community_see_the_address(principal, expected):
    assert visibility(principal, ELDER) == expected


def test_visits_are_scheduled_by_the_community_or_the_paired_volunteer():
    assert can_schedule(Principal("c1", "community_staff", community=HOME), ELDER)
    assert can_schedule(Principal("w-carer", "worker"), ELDER)
    assert not can_schedule(Principal("w-other", "worker"), ELDER)
    assert not can_schedule(Principal("d1", "district_staff"), ELDER)
