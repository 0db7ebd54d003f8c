"""Which verified deeds earn points: one credit request per source event, keyed by its source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.volunteers.domain.rules import PointsRules
from shared.events.base import EventBody
from shared.events.reports import ReportOutcomeV1
from shared.events.wishes import WishFulfilledV1

VISIT_OUTCOMES = ("visited_fine", "no_answer", "needs_help")


@dataclass(frozen=True)
class CreditRequest:
    """Points a deed asks for; (source_kind, source_id) is paid at most once, ever."""

    source_kind: str
    source_id: str
    volunteer_id: str
    requested: int
    occurred_at: datetime


def from_event(body: EventBody, rules: PointsRules) -> CreditRequest | None:
    """The credit an outcome or a fulfilled wish earns, or None when it earns nothing."""
    if isinstance(body, ReportOutcomeV1):
        # Keyed by report, not by event: an outcome published again for the same report pays once.
        request = CreditRequest("report_outcome", body.report_id, body.reporter_id,
                                rules.for_outcome(body.kind, body.outcome), body.at)
    elif isinstance(body, WishFulfilledV1):
        request = CreditRequest("wish_claim", body.claim_id, body.donor_id,
                                rules.for_wish(body.shares), body.fulfilled_at)
    else:
        return None
    return request if request.requested > 0 else None


def from_visit(
    report_id: str, volunteer_id: str, visited_at: datetime, rules: PointsRules
) -> CreditRequest | None:
    """The credit a logged elderly visit earns its volunteer."""
    request = CreditRequest("visit", report_id, volunteer_id, rules.for_visit(), visited_at)
    return request if request.requested > 0 else None
