"""Use case: a case event goes on its jurisdiction's feed and into every recipient's inbox, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from opentelemetry import trace

from services.notify.domain import messages
from services.notify.domain.preferences import Preferences
from services.notify.domain.recipients import Recipient, recipients
from services.notify.storage import inbox
from services.notify.storage.inbox import NewDelivery, NewNotification
from services.notify.storage.postgres import FeedEntry, append, lock_in_order, wake_streams
from shared.clock import Clock
from shared.events.cases import (
    CaseEscalatedV1,
    CaseJoinedV1,
    CaseOpenedV1,
    CaseSlaBreachedV1,
    CaseTransitionedV1,
)
from shared.events.envelope import IncomingEvent
from shared.kafka.consumer import TracedEvent

CASE_EVENTS = (CaseOpenedV1, CaseTransitionedV1, CaseJoinedV1, CaseSlaBreachedV1, CaseEscalatedV1)
# The reporter's identity travels on the internal stream only; feeds and inboxes never carry it.
PRIVATE = {"reporter_inbox"}


def kind_of(event_type: str) -> str:
    """``nuanxin.case.opened.v1`` → ``case.opened``."""
    return ".".join(event_type.split(".")[1:3])


@dataclass(frozen=True)
class _CaseEvent:
    """What one case event becomes: its feed entry, its title, and who may hear about it."""

    feed: FeedEntry
    title: str
    urgent: bool
    recipients: list[Recipient]


def _read(event: IncomingEvent, span: trace.Span) -> _CaseEvent:
    """What the event becomes; its feed entry keeps the trace of the event's span."""
    body = event.body
    # The fields some case events have and others lack, read from the model's own values: a
    # getattr that misses goes through pydantic's __getattr__ and an exception each time.
    field = body.__dict__.get
    kind = kind_of(event.type)
    ctx = span.get_span_context()
    category = field("category") or ""
    return _CaseEvent(
        feed=FeedEntry(
            event_id=event.id,
            event_type=kind,
            case_id=body.case_id,
            community_code=body.community_code,
            street_code=body.street_code,
            payload=body.model_dump_json(exclude=PRIVATE),
            trace_id=format(ctx.trace_id, "032x") if ctx.is_valid else None,
            co_owner_code=body.co_owner_code,
        ),
        title=messages.title_for(
            kind,
            category=category,
            action=field("action"),
            level=field("level"),
            deadline=field("deadline"),
            to_unit=field("to_unit_name"),
        ),
        urgent=messages.is_urgent(
            kind, kind=field("kind", ""), severity=field("severity", ""), category=category
        ),
        recipients=recipients(
            kind,
            community_code=body.community_code,
            street_code=body.street_code,
            co_owner_code=body.co_owner_code,
            reporter_inbox=body.reporter_inbox,
            level=field("level"),
            action=field("action"),
        ),
    )


class RecordCaseEvent:
    """Feed entries, notifications per recipient and channel deliveries, in the consumer's transaction.

    A batch costs a fixed number of statements whatever its size: the preferences of every
    recipient, the feed lock, the feed rows, the notifications, the webhooks, the deliveries and
    one wake-up of the live streams.
    """

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, conn: asyncpg.Connection, event: IncomingEvent) -> None:
        """Record one event under the current span (a batch of one); a redelivered one changes nothing."""
        await self.many(conn, [TracedEvent(event, trace.get_current_span())])

    async def many(self, conn: asyncpg.Connection, traced: Sequence[TracedEvent]) -> None:
        """Record a batch in its order; events that are not case events, or redelivered, change nothing."""
        cases: dict[str, _CaseEvent] = {}
        for item in traced:
            if isinstance(item.event.body, CASE_EVENTS) and item.event.id not in cases:
                cases[item.event.id] = _read(item.event, item.span)
        if not cases:
            return
        prefs = await inbox.preferences_for(
            conn, list(dict.fromkeys(r.key for case in cases.values() for r in case.recipients))
        )
        await lock_in_order(conn)
        seqs = await append(conn, [case.feed for case in cases.values()])
        wanted = [
            NewNotification(
                recipient=r.key,
                event_id=case.feed.event_id,
                event_type=case.feed.event_type,
                title=case.title,
                reason=r.reason,
                case_id=case.feed.case_id,
                urgent=case.urgent,
                # Its feed entry holds the body; one copy per recipient would double the writes.
                payload=None,
            )
            for case in cases.values()
            for r in case.recipients
            if case.urgent or prefs[r.key][0].wants(case.feed.event_type)
        ]
        added = await inbox.add_notifications(conn, wanted)
        await inbox.add_deliveries(conn, await self._deliveries(conn, wanted, added, prefs))
        if seqs or added:
            await wake_streams(conn, max(seqs.values(), default=None))

    async def _deliveries(
        self,
        conn: asyncpg.Connection,
        wanted: list[NewNotification],
        added: dict[tuple[str, str], int],
        prefs: dict[str, tuple[Preferences, str | None]],
    ) -> list[NewDelivery]:
        """Webhook, SMS and app-push sends of the notifications just added, held past quiet hours."""
        new = [
            (note, added[note.recipient, note.event_id])
            for note in wanted
            if (note.recipient, note.event_id) in added
        ]
        if not new:
            return []
        hooks = await inbox.webhooks_for(conn, list(dict.fromkeys(note.recipient for note, _ in new)))
        now = self._clock.now()
        sends: list[NewDelivery] = []
        for note, notification_id in new:
            pref, phone = prefs[note.recipient]
            due = pref.deliver_at(now, urgent=note.urgent)
            for hook in hooks.get(note.recipient, ()):
                if not hook["kinds"] or note.event_type in hook["kinds"] or note.urgent:
                    sends.append(NewDelivery(notification_id, "webhook", str(hook["webhook_id"]), due))
            for channel in ("sms", "app_push"):
                if channel in pref.channels and phone:
                    sends.append(NewDelivery(notification_id, channel, phone, due))
        return sends
