"""Every event body the system knows; importing this module registers them all."""

from shared.events.cases import (
    CaseEscalatedV1,
    CaseJoinedV1,
    CaseOpenedV1,
    CaseSlaBreachedV1,
    CaseTransitionedV1,
)
from shared.events.reports import ReportOutcomeV1, ReportSubmittedV1
from shared.events.volunteers import VisitScheduledV1
from shared.events.wishes import WishFulfilledV1

__all__ = [
    "CaseEscalatedV1",
    "CaseJoinedV1",
    "CaseOpenedV1",
    "CaseSlaBreachedV1",
    "CaseTransitionedV1",
    "ReportOutcomeV1",
    "ReportSubmittedV1",
    "VisitScheduledV1",
    "WishFulfilledV1",
]
