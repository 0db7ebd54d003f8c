"""Every event body the system knows; importing this module registers them all."""

from shared.events.cases import (
    CaseEscalatedV1,
    CaseJoinedV1,
    CaseOpenedV1,
    CaseSlaBreachedV1,
    CaseTransitionedV1,
)
from shared.events.reports import ReportOutcomeV1, ReportSubmittedV1
from shared.events.volunteers import (
    PairingEndedV1,
    VisitScheduledV1,
    VolunteerRegisteredV1,
    VolunteerReviewedV1,
)
from shared.events.wishes import (
    WishApprovedV1,
    WishCancelledV1,
    WishClaimedV1,
    WishClaimReleasedV1,
    WishClaimWithdrawnV1,
    WishCompletedV1,
    WishExpiredV1,
    WishFulfilledV1,
    WishHandedOverV1,
    WishPostedV1,
    WishRejectedV1,
    WishThankedV1,
)

__all__ = [
    "CaseEscalatedV1",
    "CaseJoinedV1",
    "CaseOpenedV1",
    "CaseSlaBreachedV1",
    "CaseTransitionedV1",
    "PairingEndedV1",
    "ReportOutcomeV1",
    "ReportSubmittedV1",
    "VisitScheduledV1",
    "VolunteerRegisteredV1",
    "VolunteerReviewedV1",
    "WishApprovedV1",
    "WishCancelledV1",
    "WishClaimReleasedV1",
    "WishClaimWithdrawnV1",
    "WishClaimedV1",
    "WishCompletedV1",
    "WishExpiredV1",
    "WishFulfilledV1",
    "WishHandedOverV1",
    "WishPostedV1",
    "WishRejectedV1",
    "WishThankedV1",
]
