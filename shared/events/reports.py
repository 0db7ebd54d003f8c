"""Events on the ``reports`` stream: what workers send, once accepted by intake."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.events import topics
from shared.events.base import EventBody, register

ReportKind = Literal[
    "hazard", "civility", "food_safety", "residents_voice", "policy_promotion", "elderly_checkin"
]


@register
class ReportSubmittedV1(EventBody):
    """A worker's report was accepted and stored by intake."""

    event_type = "nuanxin.report.submitted.v1"
    topic = topics.REPORTS

    report_id: str = Field(description="Intake's id of the report (UUID).")
    kind: ReportKind = Field(description="Which of the six volunteer roles' report kinds.")
    category: str = Field(description="Category within the kind, e.g. blocked_fire_exit.")
    severity: Literal["low", "medium", "high", "urgent"] = Field(description="Reporter's rating.")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS84.")
    lat: float = Field(ge=-90, le=90, description="Latitude, WGS84.")
    description: str = Field(default="", description="What the worker saw, free text.")
    address: str | None = Field(default=None, description="Address text the worker gave.")
    photos: tuple[str, ...] = Field(default=(), description="Photo store references, never bytes.")
    reporter_id: str = Field(description="Worker id (token subject) of the reporter.")
    reporter_hidden: bool = Field(
        default=False, description="Hide the reporter from the community (food safety, civility)."
    )
    pairing_id: str | None = Field(
        default=None, description="Elderly check-ins: the volunteer-elder pairing this visit was for."
    )
    opens_case: bool = Field(
        default=True, description="False for a log entry (policy promotion, a visit that went fine)."
    )
    submitted_at: datetime = Field(description="When intake accepted it (UTC).")

    def partition_key(self) -> str:
        """Reports are keyed by report id."""
        return self.report_id


@register
class ReportOutcomeV1(EventBody):
    """A report's case ended: confirmed and resolved, or dismissed as not a real problem."""

    event_type = "nuanxin.report.outcome.v1"
    topic = topics.REPORTS

    report_id: str = Field(description="The report.")
    reporter_id: str = Field(description="Who reported it (internal stream; never shown publicly).")
    kind: ReportKind = Field(description="Report kind.")
    category: str = Field(description="Category within the kind.")
    case_id: str = Field(description="The case it was handled in.")
    outcome: Literal["resolved", "dismissed"] = Field(
        description="resolved: the problem was real and fixed; dismissed: rejected as false."
    )
    at: datetime = Field(description="When the case reached that outcome (UTC).")

    def partition_key(self) -> str:
        """Reports are keyed by report id."""
        return self.report_id
