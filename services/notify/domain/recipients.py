"""Who must hear about a case event: the owner, the co-owner, the ladder, the reporter."""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT = "district"


@dataclass(frozen=True)
class Recipient:
    """An inbox: ``community:<code>``, ``street:<code>``, ``district`` or ``worker:<id>``."""

    key: str
    reason: str


def community(code: str) -> str:
    """The inbox of a community's staff."""
    return f"community:{code}"


def street(code: str) -> str:
    """The inbox of a street's or town's staff."""
    return f"street:{code}"


def worker(subject: str) -> str:
    """A worker's own inbox."""
    return f"worker:{subject}"


def recipients(
    event_kind: str,
    *,
    community_code: str | None,
    street_code: str | None,
    co_owner_code: str | None,
    reporter_inbox: str | None,
    level: int | None = None,
    action: str | None = None,
) -> list[Recipient]:
    """Every inbox that must hear about one case event, each once.

    The owner hears everything; a co-owner everything but its own moves; the street hears
    escalations to it and cases returned for reassignment; the district hears triage cases and
    escalations to it; the reporter hears about their own report only.
    """
    out: list[Recipient] = []
    if community_code:
        out.append(Recipient(community(community_code), "owner"))
    elif event_kind in ("case.opened", "case.sla_breached", "case.escalated"):
        out.append(Recipient(DISTRICT, "triage"))
    if co_owner_code and co_owner_code != community_code:
        out.append(Recipient(community(co_owner_code), "co-owner"))
    if street_code and (
        (event_kind == "case.escalated" and level == 1) or action in ("return_not_ours", "reassign")
    ):
        out.append(Recipient(street(street_code), "escalation" if level == 1 else "reassignment"))
    if event_kind == "case.escalated" and level == 2:
        out.append(Recipient(DISTRICT, "escalation"))
    if reporter_inbox and event_kind in ("case.opened", "case.transitioned", "case.escalated"):
        out.append(Recipient(worker(reporter_inbox), "reporter"))
    seen: set[str] = set()
    return [r for r in out if not (r.key in seen or seen.add(r.key))]


def inboxes_of(role: str, subject: str, community_code: str | None, street_code: str | None) -> list[str]:
    """The inboxes a token may read: its own jurisdiction's, or a worker's own."""
    if role == "worker":
        return [worker(subject)]
    if role == "community_staff" and community_code:
        return [community(community_code)]
    if role == "street_staff" and street_code:
        return [street(street_code)]
    if role in ("district_staff", "ops"):
        return [DISTRICT]
    return []
