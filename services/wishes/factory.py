"""Composition root of the wishes service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from services.wishes.app.claim import ClaimWish, WithdrawClaim
from services.wishes.app.ending import CancelWish
from services.wishes.app.fulfil import FulfilWish
from services.wishes.app.post import PostWish
from services.wishes.app.review import ReviewWish
from services.wishes.app.sweeper import WishSweeper
from services.wishes.settings import WishesSettings
from services.wishes.storage.postgres import PostgresWishQueries
from shared.host import Runtime


@dataclass
class WishesFactory:
    """Everything the wishes handlers call, built once per process."""

    runtime: Runtime
    settings: WishesSettings
    wishes: PostgresWishQueries = field(init=False)
    post: PostWish = field(init=False)
    review: ReviewWish = field(init=False)
    cancel: CancelWish = field(init=False)
    claim: ClaimWish = field(init=False)
    withdraw: WithdrawClaim = field(init=False)
    fulfil: FulfilWish = field(init=False)
    sweeper: WishSweeper = field(init=False)

    def __post_init__(self) -> None:
        rt, s = self.runtime, self.settings
        self.wishes = PostgresWishQueries(pool=rt.pool)
        self.post = PostWish(
            pool=rt.pool, clock=rt.clock, max_shares=s.max_shares, max_days_ahead=s.max_days_ahead
        )
        self.review = ReviewWish(pool=rt.pool, clock=rt.clock)
        self.cancel = CancelWish(pool=rt.pool, clock=rt.clock)
        self.claim = ClaimWish(pool=rt.pool, clock=rt.clock, hold=timedelta(hours=s.claim_hold_hours))
        self.withdraw = WithdrawClaim(pool=rt.pool, clock=rt.clock)
        self.fulfil = FulfilWish(pool=rt.pool, clock=rt.clock)
        self.sweeper = WishSweeper(
            pool=rt.pool, clock=rt.clock, tracer=rt.tracer, batch_size=s.sweeper_batch_size
        )

    def background(self) -> list:
        """The wishes clock: lapsed claims and wishes past their day."""
        return [self.sweeper.run(self.settings.sweeper_interval_s)]


def create(runtime: Runtime) -> WishesFactory:
    """Build the composition root (wishes consumes no topic yet: it only publishes)."""
    return WishesFactory(runtime=runtime, settings=runtime.service_settings(WishesSettings))
