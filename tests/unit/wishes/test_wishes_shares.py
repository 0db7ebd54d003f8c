"""Share arithmetic: taking, giving back and fulfilling shares never oversells a wish."""

from __future__ import annotations

import itertools

import pytest

from services.wishes.domain.shares import NoSharesLeft, Shares


def test_taking_shares_counts_down_what_is_left():
    s = Shares(5).take(2)
    assert (s.taken, s.left, s.status()) == (2, 3, "partly_claimed")
    s = s.take(3)
    assert (s.left, s.status()) == (0, "fully_claimed")


def test_asking_for_more_than_is_left_says_how_many_are():
    with pytest.raises(NoSharesLeft, match="only 1 share left; claim at most 1"):
        Shares(3, 2).take(2)
    with pytest.raises(NoSharesLeft, match="only 2 shares left; claim at most 2"):
        Shares(3, 1).take(3)
    with pytest.raises(NoSharesLeft, match="no shares left"):
        Shares(3, 3).take(1)


def test_a_claim_takes_at_least_one_share():
    with pytest.raises(ValueError):
        Shares(3).take(0)


def test_giving_back_frees_shares_but_never_received_ones():
    s = Shares(4, 3, 1)
    assert s.give_back(2) == Shares(4, 1, 1)
    with pytest.raises(ValueError):
        s.give_back(3)  # only 2 shares are taken and not yet received


def test_fulfilling_the_last_share_fulfils_the_wish():
    s = Shares(2, 2).fulfil(1)
    assert s.status() == "fully_claimed"
    assert s.fulfil(1).status() == "fulfilled"
    with pytest.raises(ValueError):
        Shares(2, 1).fulfil(2)


@pytest.mark.parametrize(("total", "taken", "fulfilled"), [(0, 0, 0), (2, 3, 0), (2, 1, 2), (2, -1, 0)])
def test_inconsistent_counts_are_refused(total, taken, fulfilled):
    with pytest.raises(ValueError):
        Shares(total, taken, fulfilled)


def test_no_order_of_claims_ever_takes_more_than_there_is():
    # Every sequence of claim sizes: the ones accepted always add up to at most the total.
    for sizes in itertools.product((1, 2, 3), repeat=4):
        s, accepted = Shares(5), 0
        for n in sizes:
            try:
                s = s.take(n)
                accepted += n
            except NoSharesLeft:
                assert n > s.left
        assert accepted == s.taken <= 5
