"""Use case: a case event goes on its jurisdiction's feed and into every recipient's inbox, once."""

from __future__ import annotations

import asyncpg
from opentelemetry import trace

from services.notify.domain import messages
from services.notify.domain.recipients import recipients
from services.notify.storage import inbox
from services.notify.storage.postgres import append
from shared.clock import Clock
from shared.events.cases import (
    CaseEscalatedV1,
    CaseJoinedV1,
    CaseOpenedV1,
    CaseSlaBreachedV1,
    CaseTransitionedV1,
)
from shared.events.envelope import IncomingEvent

CASE_EVENTS = (CaseOpenedV1, CaseTransitionedV1, CaseJoinedV1, CaseSlaBreachedV1, CaseEscalatedV1)
# The reporter's identity travels on the internal stream only; feeds and inboxes never carry it.
PRIVATE = {"reporter_inbox"}


def kind_of(event_type: str) -> str:
    """``nuanxin.case.opened.v1`` → ``case.opened``."""
    return ".".join(event_type.split(".")[1:3])


class RecordCaseEvent:
    """Feed entry, notifications per recipient and channel deliveries, in the consumer's transaction."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, conn: asyncpg.Connection, event: IncomingEvent) -> None:
        """Record one event; a redelivered one changes nothing."""
        body = event.body
        if not isinstance(body, CASE_EVENTS):
            return
        kind = kind_of(event.type)
        payload = body.model_dump(mode="json", exclude=PRIVATE)
        ctx = trace.get_current_span().get_span_context()
        await append(
            conn, event_id=event.id, event_type=kind, case_id=body.case_id,
            community_code=body.community_code, street_code=body.street_code, payload=payload,
            trace_id=format(ctx.trace_id, "032x") if ctx.is_valid else None,
            co_owner_code=body.co_owner_code,
        )
        category = getattr(body, "category", "") or payload.get("category", "")
        title = messages.title_for(
            kind, category=category, action=getattr(body, "action", None),
            level=getattr(body, "level", None), deadline=getattr(body, "deadline", None),
            to_unit=getattr(body, "to_unit_name", None),
        )
        urgent = messages.is_urgent(kind, kind=getattr(body, "kind", ""),
                                    severity=getattr(body, "severity", ""), category=category)
        for recipient in recipients(
            kind, community_code=body.community_code, street_code=body.street_code,
            co_owner_code=body.co_owner_code, reporter_inbox=body.reporter_inbox,
            level=getattr(body, "level", None), action=getattr(body, "action", None),
        ):
            await self._notify(conn, event, kind, recipient.key, recipient.reason, title, urgent, payload)

    async def _notify(self, conn, event, kind, recipient, reason, title, urgent, payload) -> None:
        prefs, phone = await inbox.preferences_of(conn, recipient)
        if not (urgent or prefs.wants(kind)):
            return
        notification_id = await inbox.add_notification(
            conn, recipient=recipient, event_id=event.id, event_type=kind, title=title, reason=reason,
            case_id=payload.get("case_id"), urgent=urgent, payload=payload,
        )
        if notification_id is None:
            return
        due = prefs.deliver_at(self._clock.now(), urgent=urgent)
        for hook in await inbox.webhooks_of(conn, recipient):
            if not hook["kinds"] or kind in hook["kinds"] or urgent:
                await inbox.add_delivery(conn, notification_id=notification_id, channel="webhook",
                                         target=str(hook["webhook_id"]), due=due)
        for channel in ("sms", "app_push"):
            if channel in prefs.channels and phone:
                await inbox.add_delivery(conn, notification_id=notification_id, channel=channel,
                                         target=phone, due=due)
