"""The wish and claim state machines: legal moves, who may make them, and what the refusals say."""

from __future__ import annotations

import pytest

from services.wishes.domain import claims, lifecycle
from services.wishes.domain.claims import IllegalClaimTransition, check_thanks
from services.wishes.domain.lifecycle import IllegalTransition, apply
from services.wishes.domain.shares import Shares

# Written out by hand from the brief, not derived from the module's table.
FIXED = [
    ("pending_review", "approve", "staff", "open"),
    ("pending_review", "reject", "staff", "rejected"),
    ("pending_review", "cancel", "poster", "cancelled"),
    ("open", "cancel", "poster", "cancelled"),
    ("partly_claimed", "cancel", "poster", "cancelled"),
    ("fully_claimed", "cancel", "poster", "cancelled"),
    ("pending_review", "expire", "system", "expired"),
    ("open", "expire", "system", "expired"),
    ("partly_claimed", "expire", "system", "expired"),
    ("fully_claimed", "expire", "system", "expired"),
]


@pytest.mark.parametrize(("status", "action", "actor", "target"), FIXED)
def test_fixed_moves(status, action, actor, target):
    t = apply(status, action, actor=actor, reason="a reason")
    assert (t.from_status, t.to_status, t.action) == (status, target, action)


@pytest.mark.parametrize(("status", "shares", "target"), [
    ("open", Shares(3, 1), "partly_claimed"),
    ("open", Shares(3, 3), "fully_claimed"),
    ("partly_claimed", Shares(3, 3), "fully_claimed"),
    ("partly_claimed", Shares(3, 2), "partly_claimed"),
])
def test_a_claim_moves_the_wish_by_its_shares(status, shares, target):
    assert apply(status, "claim", actor="donor", shares=shares).to_status == target


@pytest.mark.parametrize(("status", "shares", "target"), [
    ("fully_claimed", Shares(2, 0), "open"),
    ("fully_claimed", Shares(2, 1), "partly_claimed"),
    ("partly_claimed", Shares(3, 0), "open"),
    ("fully_claimed", Shares(2, 1, 1), "partly_claimed"),  # one share received, one free again
])
def test_giving_a_claim_back_reopens_the_wish(status, shares, target):
    assert apply(status, "give_back", actor="system", shares=shares).to_status == target


@pytest.mark.parametrize(("status", "shares", "target"), [
    ("fully_claimed", Shares(2, 2, 2), "fulfilled"),
    ("fully_claimed", Shares(2, 2, 1), "fully_claimed"),
    ("partly_claimed", Shares(3, 1, 1), "partly_claimed"),
])
def test_confirming_receipt_fulfils_the_wish_only_when_every_share_arrived(status, shares, target):
    assert apply(status, "confirm", actor="poster", shares=shares).to_status == target


@pytest.mark.parametrize("status", ["fulfilled", "rejected", "expired", "cancelled"])
def test_finished_wishes_allow_nothing(status):
    assert lifecycle.allowed_actions(status) == []
    with pytest.raises(IllegalTransition, match=f"possible now: nothing, {status} is final"):
        apply(status, "cancel", actor="poster")


def test_the_refusal_names_what_people_can_do_instead():
    with pytest.raises(IllegalTransition) as err:
        apply("fully_claimed", "approve", actor="staff")
    assert str(err.value) == (
        "cannot approve a wish that is fully_claimed; possible now: withdraw a claim, "
        "confirm receipt of a claim, cancel"
    )


@pytest.mark.parametrize(("action", "actor"), [
    ("approve", "poster"), ("approve", "donor"), ("reject", "poster"), ("cancel", "staff"),
    ("cancel", "donor"), ("expire", "poster"),
])
def test_only_the_right_actor_moves_a_wish(action, actor):
    with pytest.raises(IllegalTransition, match=f"the {actor} cannot"):
        apply("pending_review", action, actor=actor, reason="r")


def test_rejection_needs_a_reason():
    with pytest.raises(IllegalTransition, match="reject needs a reason"):
        apply("pending_review", "reject", actor="staff", reason="   ")


def test_a_pending_wish_cannot_be_claimed():
    with pytest.raises(IllegalTransition, match="cannot claim a wish that is pending_review"):
        apply("pending_review", "claim", actor="donor", shares=Shares(1, 1))


def test_unknown_statuses_are_bugs_not_refusals():
    with pytest.raises(ValueError, match="unknown wish status"):
        apply("claimed", "approve", actor="staff")
    with pytest.raises(ValueError, match="unknown claim status"):
        claims.apply("open", "withdraw", actor="donor")


CLAIM_MOVES = [
    ("held", "hand_over", "donor", "handed_over"),
    ("held", "withdraw", "donor", "withdrawn"),
    ("held", "release", "system", "released"),
    ("handed_over", "confirm", "poster", "confirmed"),
]


@pytest.mark.parametrize(("status", "action", "actor", "target"), CLAIM_MOVES)
def test_claim_moves(status, action, actor, target):
    assert claims.apply(status, action, actor=actor).to_status == target


@pytest.mark.parametrize("status", claims.STATUSES)
def test_every_other_claim_move_is_refused(status):
    legal = {(s, a) for s, a, _, _ in CLAIM_MOVES}
    for action in ("hand_over", "withdraw", "release", "confirm"):
        if (status, action) not in legal:
            with pytest.raises(IllegalClaimTransition, match=f"claim that is {status}"):
                claims.apply(status, action, actor="donor" if action != "confirm" else "poster")


def test_a_handed_over_claim_is_no_longer_released_or_withdrawn():
    with pytest.raises(IllegalClaimTransition) as err:
        claims.apply("handed_over", "withdraw", actor="donor")
    assert str(err.value) == "cannot withdraw a claim that is handed_over; possible now: confirm"
    with pytest.raises(IllegalClaimTransition, match="the donor cannot confirm receipt of a claim"):
        claims.apply("handed_over", "confirm", actor="donor")


def test_thanks_come_once_and_only_after_receipt():
    assert claims.allowed_actions("confirmed", actor="poster") == ["thank"]
    assert claims.allowed_actions("confirmed", actor="poster", thanked=True) == []
    assert claims.allowed_actions("confirmed", actor="donor") == []
    assert check_thanks("confirmed", False, "  谢谢！ ") == "谢谢！"
    with pytest.raises(IllegalClaimTransition, match="after receipt is confirmed"):
        check_thanks("handed_over", False, "thanks")
    with pytest.raises(IllegalClaimTransition, match="already been thanked"):
        check_thanks("confirmed", True, "thanks")
    with pytest.raises(ValueError, match="1 to 200 characters"):
        check_thanks("confirmed", False, "x" * 201)
