"""Events on the ``volunteers`` stream: roles, elderly pairings and scheduled visits."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events import topics
from shared.events.base import EventBody, register


@register
class VisitScheduledV1(EventBody):
    """A paired volunteer must visit an elderly person in a window (no address on the event)."""

    event_type = "nuanxin.visit.scheduled.v1"
    topic = topics.VOLUNTEERS

    visit_id: str = Field(description="The scheduled visit.")
    pairing_id: str = Field(description="The volunteer-elder pairing.")
    volunteer_id: str = Field(description="Who should visit.")
    community_code: str = Field(description="The elder's community.")
    window_start: datetime = Field(description="From when a visit counts (UTC).")
    window_end: datetime = Field(description="By when a visit must be logged (UTC).")

    def partition_key(self) -> str:
        """Keyed by pairing, so one elder's visits stay in order."""
        return self.pairing_id
