"""A report as intake accepts it: validated against its kind, located in WGS84."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.reports.domain.kinds import KINDS, SEVERITIES, Severity
from shared.ids import new_id


class ReportRejected(ValueError):
    """A report intake refuses, naming the field that is wrong."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class Report:
    """An accepted report."""

    report_id: str
    reporter_id: str
    kind: str
    category: str
    severity: Severity
    lon: float
    lat: float
    submitted_at: datetime
    description: str = ""
    address: str | None = None
    photos: tuple[str, ...] = field(default=())
    reporter_hidden: bool = False
    opens_case: bool = True
    pairing_id: str | None = None
    status: str = "submitted"


def new_report(
    *,
    reporter_id: str,
    kind: str,
    category: str,
    lon: float,
    lat: float,
    now: datetime,
    severity: str | None = None,
    description: str = "",
    address: str | None = None,
    photos: tuple[str, ...] = (),
    pairing_id: str | None = None,
) -> Report:
    """Validate a worker's report against its kind's rules; raise ReportRejected if it breaks one."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ReportRejected("kind", f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    cat = spec.category(category)
    if cat is None:
        codes = ", ".join(c.code for c in spec.categories)
        raise ReportRejected("category", f"{category!r} is not a {kind} category; one of {codes}")
    if severity is not None and severity not in SEVERITIES:
        raise ReportRejected("severity", f"one of {', '.join(SEVERITIES)}")
    if spec.description_required and not description.strip():
        raise ReportRejected("description", f"a {spec.name_en} report needs a description")
    if pairing_id is not None and kind != "elderly_checkin":
        raise ReportRejected("pairing_id", "only an elderly check-in names a pairing")
    if spec.photo_required and not photos:
        raise ReportRejected("photos", f"a {spec.name_en} report needs at least one photo as evidence")
    return Report(
        report_id=new_id(),
        reporter_id=reporter_id,
        kind=kind,
        category=category,
        severity=severity or cat.default_severity,  # type: ignore[arg-type]
        lon=lon,
        lat=lat,
        submitted_at=now,
        description=description.strip(),
        address=address,
        photos=photos,
        reporter_hidden=spec.reporter_hidden,
        opens_case=cat.opens_case,
        pairing_id=pairing_id,
        status="submitted" if cat.opens_case else "recorded",
    )
