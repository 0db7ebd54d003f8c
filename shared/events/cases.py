"""Events on the ``cases`` stream: a report once routed to its owning community."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events import topics
from shared.events.base import EventBody, register


@register
class CaseOpenedV1(EventBody):
    """Routing opened a case for a report and gave it an owner and deadlines."""

    event_type = "nuanxin.case.opened.v1"
    topic = topics.CASES

    case_id: str = Field(description="Routing's id of the case (UUID).")
    report_id: str = Field(description="The report this case was opened for.")
    kind: str = Field(description="Report kind.")
    category: str = Field(description="Report category.")
    severity: str = Field(description="Severity used for the SLA.")
    community_code: str | None = Field(
        description="Owning community (12-digit code), or None for the district triage queue."
    )
    street_code: str | None = Field(description="The owning community's street or town.")
    district_code: str = Field(description="The district (500112 for Yubei).")
    lon: float = Field(description="Longitude, WGS84.")
    lat: float = Field(description="Latitude, WGS84.")
    reporter_id: str | None = Field(description="Reporter, None when hidden from the community.")
    opened_at: datetime = Field(description="When the case was opened (UTC).")
    acknowledge_by: datetime = Field(description="Deadline to acknowledge.")
    resolve_by: datetime = Field(description="Deadline to resolve.")

    def partition_key(self) -> str:
        """Cases are keyed by case id."""
        return self.case_id
