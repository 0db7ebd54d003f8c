"""Events on the ``wishes`` stream: micro-wishes (微心愿) from posting to thanks."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events import topics
from shared.events.base import EventBody, register


@register
class WishFulfilledV1(EventBody):
    """A donor handed over (their share of) a wish and the worker confirmed receipt."""

    event_type = "nuanxin.wish.fulfilled.v1"
    topic = topics.WISHES

    wish_id: str = Field(description="The wish.")
    claim_id: str = Field(description="The donor's claim that was fulfilled.")
    donor_id: str = Field(description="Who gave (a volunteer's or merchant's id).")
    poster_id: str = Field(description="The worker who wished (internal stream only).")
    community_code: str = Field(description="The wish's community.")
    shares: int = Field(ge=1, description="How many shares of the wish this claim covered.")
    handover_station_id: str | None = Field(default=None, description="Warm station of the hand-over.")
    fulfilled_at: datetime = Field(description="When receipt was confirmed (UTC).")

    def partition_key(self) -> str:
        """Wishes are keyed by wish id."""
        return self.wish_id
