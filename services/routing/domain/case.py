"""A case: a report once routed, owned by a community (or the district triage queue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.ids import new_id

DISTRICT_CODE = "500112"
TRIAGE = "district triage"


@dataclass(frozen=True)
class Owner:
    """Who owns a location: a community and its street, or nobody (district triage)."""

    community_code: str | None
    street_code: str | None
    co_owner_code: str | None = None


@dataclass(frozen=True)
class Deadlines:
    """When a case must be acknowledged and resolved."""

    acknowledge_by: datetime
    resolve_by: datetime
    basis: str = "calendar"


@dataclass(frozen=True)
class Case:
    """An open case."""

    case_id: str
    report_id: str
    kind: str
    category: str
    severity: str
    owner: Owner
    lon: float
    lat: float
    reporter_id: str
    reporter_hidden: bool
    opened_at: datetime
    deadlines: Deadlines
    hierarchy_version: str
    status: str = "new"

    @property
    def visible_reporter(self) -> str | None:
        """The reporter as the community may see them (None when hidden)."""
        return None if self.reporter_hidden else self.reporter_id


# Fallback policy by severity, used when no SLA policy file is configured.
_BY_SEVERITY = {
    "urgent": (timedelta(minutes=15), timedelta(hours=2)),
    "high": (timedelta(hours=2), timedelta(hours=24)),
    "medium": (timedelta(hours=8), timedelta(hours=72)),
    "low": (timedelta(hours=24), timedelta(days=7)),
}


def deadlines_for(severity: str, opened_at: datetime) -> Deadlines:
    """Acknowledge-by and resolve-by for a severity, in calendar time."""
    ack, resolve = _BY_SEVERITY.get(severity, _BY_SEVERITY["medium"])
    return Deadlines(acknowledge_by=opened_at + ack, resolve_by=opened_at + resolve)


def open_case(
    *,
    report_id: str,
    kind: str,
    category: str,
    severity: str,
    lon: float,
    lat: float,
    reporter_id: str,
    reporter_hidden: bool,
    owner: Owner,
    deadlines: Deadlines,
    hierarchy_version: str,
    now: datetime,
) -> Case:
    """A new case for a report, with its owner and deadlines."""
    return Case(
        case_id=new_id(),
        report_id=report_id,
        kind=kind,
        category=category,
        severity=severity,
        owner=owner,
        lon=lon,
        lat=lat,
        reporter_id=reporter_id,
        reporter_hidden=reporter_hidden,
        opened_at=now,
        deadlines=deadlines,
        hierarchy_version=hierarchy_version,
    )
