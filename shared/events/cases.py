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
    co_owner_code: str | None = Field(
        default=None, description="A neighbouring community near the boundary that also sees it."
    )
    reporter_inbox: str | None = Field(
        default=None,
        description="Whose inbox hears about this case as its reporter (internal stream; set even "
        "when the reporter is hidden; staff-facing views never show it).",
    )
    hierarchy_version: str | None = Field(
        default=None, description="Jurisdiction version in force when the case was opened."
    )
    opened_at: datetime = Field(description="When the case was opened (UTC).")
    acknowledge_by: datetime = Field(description="Deadline to acknowledge.")
    resolve_by: datetime = Field(description="Deadline to resolve.")

    def partition_key(self) -> str:
        """Cases are keyed by case id."""
        return self.case_id


class _CaseEventV1(EventBody):
    """Fields every later case event carries so recipients can be worked out from the event."""

    case_id: str = Field(description="The case.")
    community_code: str | None = Field(description="Owning community now (None: district triage).")
    street_code: str | None = Field(description="The owning community's street or town.")
    co_owner_code: str | None = Field(default=None, description="Co-owning neighbour community.")
    reporter_id: str | None = Field(
        default=None, description="Reporter, None when hidden from the community."
    )
    reporter_inbox: str | None = Field(
        default=None,
        description="Whose inbox hears about this case as its reporter (internal stream; set even "
        "when the reporter is hidden; staff-facing views never show it).",
    )

    def partition_key(self) -> str:
        """Cases are keyed by case id."""
        return self.case_id


@register
class CaseTransitionedV1(_CaseEventV1):
    """Staff, the reporter or the system moved a case through its lifecycle."""

    event_type = "nuanxin.case.transitioned.v1"
    topic = topics.CASES

    action: str = Field(description="acknowledge, start, request_info, provide_info, resolve, ...")
    from_status: str = Field(description="Status before.")
    to_status: str = Field(description="Status after.")
    actor_id: str = Field(description="Who did it (token subject, or 'system').")
    actor_role: str = Field(description="Their role.")
    note: str | None = Field(default=None, description="Note or reason given.")
    at: datetime = Field(description="When (UTC).")


@register
class CaseJoinedV1(_CaseEventV1):
    """Another report of the same thing nearby joined an open case ("me too")."""

    event_type = "nuanxin.case.joined.v1"
    topic = topics.CASES

    report_id: str = Field(description="The report that joined.")
    cluster_size: int = Field(ge=2, description="Reports on this case now.")
    severity: str = Field(description="Severity after the cluster raised it.")
    at: datetime = Field(description="When (UTC).")


@register
class CaseSlaBreachedV1(_CaseEventV1):
    """A deadline passed with the case not acknowledged (or not resolved)."""

    event_type = "nuanxin.case.sla_breached.v1"
    topic = topics.CASES

    deadline: str = Field(description="acknowledge or resolve.")
    due_at: datetime = Field(description="The deadline.")
    breached_at: datetime = Field(description="When the breach was noticed (UTC).")


@register
class CaseEscalatedV1(_CaseEventV1):
    """An overdue case was handed up the ladder: community → street/town → district."""

    event_type = "nuanxin.case.escalated.v1"
    topic = topics.CASES

    level: int = Field(ge=1, description="1 = street/town, 2 = district.")
    to_unit_code: str = Field(description="The unit it was handed to (placeholder ids are marked).")
    to_unit_name: str = Field(description="That unit's name.")
    hierarchy_version: str = Field(description="Jurisdiction version in force at escalation.")
    due_at: datetime = Field(description="The deadline whose passing caused it.")
    escalated_at: datetime = Field(description="When (UTC).")
