"""Use case: a case event becomes an entry on the feed of the jurisdiction that owns it."""

from __future__ import annotations

import asyncpg
from opentelemetry import trace

from services.notify.storage.postgres import append
from shared.events.cases import CaseOpenedV1
from shared.events.envelope import IncomingEvent


async def record_case_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
    """Put a case event on the owning community's (and so its street's) live feed."""
    body = event.body
    if not isinstance(body, CaseOpenedV1):
        return
    ctx = trace.get_current_span().get_span_context()
    await append(
        conn,
        event_id=event.id,
        event_type="case.opened",
        case_id=body.case_id,
        community_code=body.community_code,
        street_code=body.street_code,
        payload=body.model_dump(mode="json"),
        trace_id=format(ctx.trace_id, "032x") if ctx.is_valid else None,
    )
