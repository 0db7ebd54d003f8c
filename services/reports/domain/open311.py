"""Open311 GeoReport v2 vocabulary for our reports: service codes, service definitions, statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.reports.domain.kinds import KINDS, SEVERITIES, Category, Kind

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00Z"  # when this façade's services or behaviour last changed
CONTACT = "nuanxin operators, Yubei district volunteer office (渝北区志愿服务中心)"
KEY_SERVICE = (
    "api_key is a nuanxin access token: a worker's to file requests; a worker's or staff member's "
    "to follow them. Ask the district volunteer office for one."
)
SERVICE_NOTICE = "已受理，将转交所属社区 Accepted; it is routed to the owning community within minutes."
TRIAGE_AGENCY = "district triage"
_SEVERITY_NAMES = {"low": "低 Low", "medium": "中 Medium", "high": "高 High", "urgent": "紧急 Urgent"}


@dataclass(frozen=True)
class AttributeValue:
    """One choice of a list attribute."""

    key: str
    name: str


@dataclass(frozen=True)
class ServiceAttribute:
    """One attribute of a service definition, as GeoReport v2 describes it."""

    code: str
    datatype: str
    required: bool
    description: str
    datatype_description: str
    order: int
    values: tuple[AttributeValue, ...] = ()
    variable: bool = True

    def as_dict(self) -> dict[str, object]:
        """The attribute in the service definition's shape; list datatypes carry their values."""
        shape: dict[str, object] = {
            "variable": self.variable, "code": self.code, "datatype": self.datatype,
            "required": self.required, "datatype_description": self.datatype_description,
            "order": self.order, "description": self.description,
        }
        if self.datatype.endswith("valuelist"):
            shape["values"] = [{"key": v.key, "name": v.name} for v in self.values]
        return shape


@dataclass(frozen=True)
class Service:
    """One Open311 service: a (kind, category) pair of our report kinds."""

    service_code: str
    service_name: str
    description: str
    keywords: str
    group: str
    attributes: tuple[ServiceAttribute, ...]
    type: str = "realtime"

    @property
    def metadata(self) -> bool:
        """Whether the service has a definition with attributes worth fetching."""
        return bool(self.attributes)

    def listing(self) -> dict[str, object]:
        """This service as an entry of GET services."""
        return {
            "service_code": self.service_code, "service_name": self.service_name,
            "description": self.description, "metadata": self.metadata, "type": self.type,
            "keywords": self.keywords, "group": self.group,
        }

    def definition(self) -> dict[str, object]:
        """This service's definition, as GET services/{service_code} returns it."""
        return {"service_code": self.service_code, "attributes": [a.as_dict() for a in self.attributes]}


def service_code(kind: str, category: str) -> str:
    """The Open311 service code of a kind and category, e.g. ``hazard.blocked_fire_exit``."""
    return f"{kind}.{category}"


def parse_service_code(code: str) -> tuple[str, str] | None:
    """The (kind, category) a service code names, or None if it names none of ours."""
    kind, dot, category = code.partition(".")
    spec = KINDS.get(kind)
    if not dot or spec is None or spec.category(category) is None:
        return None
    return kind, category


def _attributes(kind: Kind, category: Category) -> tuple[ServiceAttribute, ...]:
    severity = ServiceAttribute(
        code="severity",
        datatype="singlevaluelist",
        required=False,
        description="严重程度 How serious it is",
        datatype_description=f"Leave out to use the category's default ({category.default_severity}).",
        order=1,
        values=tuple(AttributeValue(s, _SEVERITY_NAMES[s]) for s in SEVERITIES),
    )
    if not kind.description_required:
        return (severity,)
    description = ServiceAttribute(
        code="description",
        datatype="text",
        required=True,
        description="情况描述 What the resident said",
        datatype_description="Send it as the request's description (or as attribute[description]).",
        order=2,
    )
    return severity, description


def _service(kind: Kind, category: Category) -> Service:
    return Service(
        service_code=service_code(kind.code, category.code),
        service_name=f"{category.name_zh} {category.name_en}",
        description=f"{kind.role_zh} {kind.name_en}: {category.name_en}",
        keywords=", ".join((kind.code, category.code, category.name_zh, kind.role_zh)),
        group=kind.name_en,
        attributes=_attributes(kind, category),
    )


SERVICES: dict[str, Service] = {
    s.service_code: s for kind in KINDS.values() for s in (_service(kind, c) for c in kind.categories)
}


def service_for(kind: str, category: str) -> Service | None:
    """The service of a stored report's kind and category, or None if it is no longer offered."""
    return SERVICES.get(service_code(kind, category))


# Our statuses that Open311 calls "closed" (a reopened case is open again).
CLOSED_STATUSES = ("resolved", "closed")


def request_status(status: str) -> str:
    """Our report or case status as Open311's: resolved or closed is "closed" (reopen: open again)."""
    return "closed" if status in CLOSED_STATUSES else "open"


def agency_responsible(status: str, community_code: str | None) -> str | None:
    """Who owns the request: the community, the district's triage queue, or nobody yet."""
    if community_code:
        return community_code
    return None if status == "submitted" else TRIAGE_AGENCY


def status_notes(status: str, community_code: str | None, notes: str | None = None) -> str:
    """A sentence for people on where the request stands; stored notes win when there are any."""
    if notes:
        return notes
    if status == "submitted":
        return "received, awaiting routing"
    owner = f"community {community_code}" if community_code else TRIAGE_AGENCY
    if status == "routed":
        return f"routed to {owner}"
    return f"{status} ({owner})"


def w3c(moment: datetime | None) -> str | None:
    """A moment as the spec's W3C datetime, in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ServiceRequest:
    """What a stored report tells an Open311 client: the report, its owner and its deadline."""

    report_id: str
    kind: str
    category: str
    status: str
    status_notes: str | None
    description: str
    address: str | None
    lat: float
    lon: float
    community_code: str | None
    submitted_at: datetime
    updated_at: datetime
    resolve_by: datetime | None

    def as_dict(self) -> dict[str, object]:
        """The report as an entry of GET requests."""
        service = service_for(self.kind, self.category)
        code = service_code(self.kind, self.category)
        return {
            "service_request_id": self.report_id,
            "status": request_status(self.status),
            "status_notes": status_notes(self.status, self.community_code, self.status_notes),
            "service_name": service.service_name if service else code,
            "service_code": code,
            "description": self.description,
            "agency_responsible": agency_responsible(self.status, self.community_code),
            "service_notice": None,
            "requested_datetime": w3c(self.submitted_at),
            "updated_datetime": w3c(self.updated_at),
            "expected_datetime": w3c(self.resolve_by),
            "address": self.address,
            "address_id": None,
            "zipcode": None,
            "lat": self.lat,
            "long": self.lon,
            "media_url": None,
        }
