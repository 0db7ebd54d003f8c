"""Events on the ``volunteers`` stream: roles, elderly pairings and scheduled visits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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


@register
class PairingEndedV1(EventBody):
    """Community staff ended a volunteer-elder pairing: its visits still to come are off (no reason
    or address on the event; the reason stays with the volunteers service)."""

    event_type = "nuanxin.pairing.ended.v1"
    topic = topics.VOLUNTEERS

    pairing_id: str = Field(description="The pairing that ended.")
    volunteer_id: str = Field(description="The volunteer who was paired.")
    community_code: str = Field(description="The elder's community.")
    ended_by: str = Field(description="Staff member who ended it (token subject).")
    ended_at: datetime = Field(description="From when no visit is owed (UTC).")

    def partition_key(self) -> str:
        """Keyed by pairing, so it follows the pairing's scheduled visits."""
        return self.pairing_id


@register
class VolunteerRegisteredV1(EventBody):
    """A worker asked to serve in a community in some of the six volunteer roles (六员)."""

    event_type = "nuanxin.volunteer.registered.v1"
    topic = topics.VOLUNTEERS

    volunteer_id: str = Field(description="The worker's id (token subject).")
    community_code: str = Field(description="The community they volunteer in (12-digit code).")
    roles: tuple[str, ...] = Field(description="Roles asked for, e.g. hazard_inspector, elderly_carer.")
    registered_at: datetime = Field(description="When the request was made (UTC).")

    def partition_key(self) -> str:
        """Keyed by volunteer, so one volunteer's events stay in order."""
        return self.volunteer_id


@register
class VolunteerReviewedV1(EventBody):
    """Community staff confirmed or declined some of a volunteer's requested roles."""

    event_type = "nuanxin.volunteer.reviewed.v1"
    topic = topics.VOLUNTEERS

    volunteer_id: str = Field(description="The worker's id (token subject).")
    community_code: str = Field(description="The community the roles are held in.")
    decision: Literal["confirmed", "declined"] = Field(description="What staff decided.")
    roles: tuple[str, ...] = Field(description="The roles the decision covers.")
    reason: str | None = Field(default=None, description="Why, required when declined.")
    reviewed_by: str = Field(description="Staff member who decided (token subject).")
    reviewed_at: datetime = Field(description="When the decision was made (UTC).")

    def partition_key(self) -> str:
        """Keyed by volunteer, so one volunteer's events stay in order."""
        return self.volunteer_id
