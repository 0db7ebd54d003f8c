"""Events on the ``wishes`` stream: micro-wishes (微心愿) from posting to thanks.

The stream is internal: events may carry the poster's id, which the public wall never shows.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from shared.events import topics
from shared.events.base import EventBody, register


class _WishEvent(EventBody):
    """Fields every wish event has; keyed by wish id so one wish's events stay in order."""

    topic = topics.WISHES

    wish_id: str = Field(description="The wish.")
    community_code: str = Field(description="The wish's community (12-digit code).")

    def partition_key(self) -> str:
        """Wishes are keyed by wish id."""
        return self.wish_id


@register
class WishPostedV1(_WishEvent):
    """A worker posted a wish; it waits for the community's review before it is public."""

    event_type = "nuanxin.wish.posted.v1"

    street_code: str = Field(description="The community's street or town (first 9 digits).")
    poster_id: str = Field(description="The worker who wished (internal stream only).")
    category: str = Field(description="clothing, repair, legal_help, schooling, health, daily_needs, other.")
    title: str = Field(description="What is wished for, in a few words.")
    shares: int = Field(ge=1, description="Equal parts donors may claim.")
    wanted_by: date = Field(description="Last day the wish is wanted (Chongqing date).")
    handover: str = Field(description="A warm station id, or 'community centre'.")
    posted_at: datetime = Field(description="When it was posted (UTC).")


@register
class WishApprovedV1(_WishEvent):
    """Community staff approved a wish: it is on the public wall and donors may claim it."""

    event_type = "nuanxin.wish.approved.v1"

    reviewer_id: str = Field(description="Staff member who approved.")
    reviewer_role: str = Field(description="community_staff, street_staff or district_staff.")
    category: str = Field(description="The wish's category.")
    title: str = Field(description="What is wished for.")
    shares: int = Field(ge=1, description="Equal parts donors may claim.")
    wanted_by: date = Field(description="Last day the wish is wanted (Chongqing date).")
    approved_at: datetime = Field(description="When it was approved (UTC).")


@register
class WishRejectedV1(_WishEvent):
    """Community staff rejected a wish, with a reason the worker reads."""

    event_type = "nuanxin.wish.rejected.v1"

    poster_id: str = Field(description="The worker who wished (to tell them why).")
    reviewer_id: str = Field(description="Staff member who rejected.")
    reviewer_role: str = Field(description="community_staff, street_staff or district_staff.")
    reason: str = Field(description="Why it was rejected.")
    rejected_at: datetime = Field(description="When (UTC).")


@register
class WishClaimedV1(_WishEvent):
    """A donor claimed some or all shares of a wish; the claim holds until ``held_until``."""

    event_type = "nuanxin.wish.claimed.v1"

    claim_id: str = Field(description="The new claim.")
    donor_id: str = Field(description="Who claimed.")
    donor_kind: str = Field(description="merchant, volunteer, party_member_team or resident.")
    shares: int = Field(ge=1, description="Shares this claim took.")
    shares_left: int = Field(ge=0, description="Shares of the wish still unclaimed afterwards.")
    wish_status: str = Field(description="The wish's status afterwards: partly_claimed or fully_claimed.")
    held_until: datetime = Field(description="The claim is released by itself if not handed over by then.")
    claimed_at: datetime = Field(description="When (UTC).")


@register
class WishClaimReleasedV1(_WishEvent):
    """A claim lapsed without a hand-over; its shares are free again (or the wish ended)."""

    event_type = "nuanxin.wish.claim_released.v1"

    claim_id: str = Field(description="The released claim.")
    donor_id: str = Field(description="Whose claim it was.")
    shares: int = Field(ge=1, description="Shares given back.")
    reason: str = Field(description="hold_expired, wish_expired or wish_cancelled.")
    wish_status: str = Field(description="The wish's status afterwards.")
    released_at: datetime = Field(description="When (UTC).")


@register
class WishClaimWithdrawnV1(_WishEvent):
    """The donor withdrew their claim before handing over; its shares are free again."""

    event_type = "nuanxin.wish.claim_withdrawn.v1"

    claim_id: str = Field(description="The withdrawn claim.")
    donor_id: str = Field(description="Who withdrew.")
    shares: int = Field(ge=1, description="Shares given back.")
    wish_status: str = Field(description="The wish's status afterwards.")
    withdrawn_at: datetime = Field(description="When (UTC).")


@register
class WishHandedOverV1(_WishEvent):
    """The donor says they handed over their share; the worker is asked to confirm receipt."""

    event_type = "nuanxin.wish.handed_over.v1"

    claim_id: str = Field(description="The claim handed over.")
    donor_id: str = Field(description="Who handed over.")
    poster_id: str = Field(description="Who should confirm (internal stream only).")
    shares: int = Field(ge=1, description="Shares this claim covers.")
    handover_station_id: str | None = Field(default=None, description="Warm station of the hand-over.")
    handover_place: str | None = Field(default=None, description="Where, when not at a warm station.")
    handed_over_at: datetime = Field(description="When the donor marked it done (UTC).")


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


@register
class WishCompletedV1(_WishEvent):
    """Every share of a wish was received: the wish is fulfilled as a whole."""

    event_type = "nuanxin.wish.completed.v1"

    poster_id: str = Field(description="The worker who wished (internal stream only).")
    shares: int = Field(ge=1, description="All of the wish's shares.")
    donors: int = Field(ge=1, description="How many confirmed claims fulfilled it.")
    approved_at: datetime = Field(description="When it was approved (UTC).")
    completed_at: datetime = Field(description="When the last share was confirmed (UTC).")


@register
class WishThankedV1(_WishEvent):
    """The worker thanked a donor for a received claim."""

    event_type = "nuanxin.wish.thanked.v1"

    claim_id: str = Field(description="The claim thanked for.")
    donor_id: str = Field(description="Who is thanked.")
    message: str = Field(description="The worker's short thank-you (at most 200 characters).")
    thanked_at: datetime = Field(description="When (UTC).")


@register
class WishExpiredV1(_WishEvent):
    """A wish passed its wanted-by day unfinished; open claims on it were released."""

    event_type = "nuanxin.wish.expired.v1"

    poster_id: str = Field(description="The worker who wished (internal stream only).")
    from_status: str = Field(description="Its status before: pending_review, open, partly_claimed...")
    wanted_by: date = Field(description="The day that passed.")
    shares_fulfilled: int = Field(ge=0, description="Shares received before it lapsed.")
    expired_at: datetime = Field(description="When the lapse was recorded (UTC).")


@register
class WishCancelledV1(_WishEvent):
    """The worker withdrew their own wish; open claims on it were released."""

    event_type = "nuanxin.wish.cancelled.v1"

    poster_id: str = Field(description="The worker who cancelled.")
    from_status: str = Field(description="Its status before.")
    reason: str | None = Field(default=None, description="The worker's reason, if given.")
    cancelled_at: datetime = Field(description="When (UTC).")
