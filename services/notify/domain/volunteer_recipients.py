"""Who hears about the volunteers stream: staff of a new volunteer's community, and the volunteer
when their roles are decided, a visit is scheduled for them or their pairing ends."""

from __future__ import annotations

from services.notify.domain.recipients import Recipient, community, worker
from shared.events.base import EventBody
from shared.events.volunteers import (
    PairingEndedV1,
    VisitScheduledV1,
    VolunteerRegisteredV1,
    VolunteerReviewedV1,
)


def volunteer_notice(body: EventBody) -> tuple[Recipient, str] | None:
    """The one inbox an event reaches and the notification's title, or None."""
    if isinstance(body, VolunteerRegisteredV1):
        return (Recipient(community(body.community_code), "review"),
                "新志愿者待确认 / A volunteer awaits confirmation")
    if isinstance(body, VolunteerReviewedV1):
        title = ("您的志愿者角色已确认 / Your volunteer roles are confirmed" if body.decision == "confirmed"
                 else "您的志愿者申请未通过 / Your volunteer request was declined")
        return Recipient(worker(body.volunteer_id), "volunteer"), title
    if isinstance(body, VisitScheduledV1):
        return Recipient(worker(body.volunteer_id), "carer"), "新的探访安排 / A visit is scheduled"
    if isinstance(body, PairingEndedV1):
        return Recipient(worker(body.volunteer_id), "carer"), "您的结对已结束 / Your pairing has ended"
    return None
