"""Use case: wish events reach the poster, the donor, or the reviewing community, once each."""

from __future__ import annotations

import asyncpg

from services.notify.app.deliver import deliver
from services.notify.app.record import kind_of
from services.notify.domain.wish_recipients import wish_recipients, wish_title
from shared.events.envelope import IncomingEvent
from shared.events.wishes import WishPostedV1

# The poster's id is for routing the message; what the donor reads never names them.
PRIVATE = {"poster_id"}


async def record_wish_event(conn: asyncpg.Connection, event: IncomingEvent) -> None:
    """Notify whoever a wish event concerns (events of one wish arrive in order: same key)."""
    body = event.body
    kind = kind_of(event.type)
    title = wish_title(kind)
    wish_id = getattr(body, "wish_id", None)
    if title is None or wish_id is None:
        return
    if isinstance(body, WishPostedV1):
        await conn.execute(
            "INSERT INTO wish_posters (wish_id, poster_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            wish_id, body.poster_id,
        )
    poster = getattr(body, "poster_id", None) or await conn.fetchval(
        "SELECT poster_id FROM wish_posters WHERE wish_id = $1", wish_id
    )
    await deliver(conn, event.id, kind, title, body.model_dump_json(exclude=PRIVATE),
                  wish_recipients(kind, community_code=body.community_code, poster_id=poster,
                                  donor_id=getattr(body, "donor_id", None)))

