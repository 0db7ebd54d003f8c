"""Every event body the system knows; importing this module registers them all."""

from shared.events.cases import (
    CaseEscalatedV1,
    CaseJoinedV1,
    CaseOpenedV1,
    CaseSlaBreachedV1,
    CaseTransitionedV1,
)
from shared.events.reports import ReportSubmittedV1

__all__ = [
    "CaseEscalatedV1",
    "CaseJoinedV1",
    "CaseOpenedV1",
    "CaseSlaBreachedV1",
    "CaseTransitionedV1",
    "ReportSubmittedV1",
]
