"""What every wish use case shares: refusals, who may see what, and committing a change with its events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.wishes.domain.lifecycle import PUBLIC
from services.wishes.storage.writes import SCHEMA, append_history
from shared.auth import Principal
from shared.events.base import EventBody
from shared.events.envelope import encode
from shared.postgres.outbox import enqueue

SOURCE = "/nuanxin/wishes"
STAFF_ROLES = ("community_staff", "street_staff", "district_staff")


class WishNotFound(Exception):
    """No such wish or claim, or not one the caller may see (the same answer, so nothing leaks)."""


class NotYours(Exception):
    """The caller can see the wish or claim, but this action belongs to someone else."""


@dataclass(frozen=True)
class Actor:
    """Who made a change, for the audit trail."""

    id: str
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The actor a token names."""
        return cls(principal.subject, principal.role)


SYSTEM = Actor("system", "system")


def covers(principal: Principal, wish: asyncpg.Record) -> bool:
    """Whether the principal is staff whose jurisdiction includes the wish's community."""
    return principal.role in STAFF_ROLES and principal.sees_community(
        wish["community_code"], wish["street_code"]
    )


def sees_wish(principal: Principal, wish: asyncpg.Record) -> bool:
    """Poster and covering staff see every wish; everyone else only approved ones."""
    return wish["poster_id"] == principal.subject or covers(principal, wish) or wish["status"] in PUBLIC


def sees_claim(principal: Principal, wish: asyncpg.Record, claim: asyncpg.Record) -> bool:
    """A claim is seen by its donor, the wish's poster and covering staff."""
    return principal.subject in (claim["donor_id"], wish["poster_id"]) or covers(principal, wish)


def found(wish: asyncpg.Record | None, principal: Principal) -> asyncpg.Record:
    """The wish, if it exists and the caller may see it; otherwise WishNotFound."""
    if wish is None or not sees_wish(principal, wish):
        raise WishNotFound
    return wish


async def commit_change(
    conn: asyncpg.Connection,
    *,
    wish_id: str,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: Actor,
    at: datetime,
    events: Sequence[EventBody],
    claim_id: str | None = None,
    note: str | None = None,
) -> None:
    """Write the audit row and queue the events in the caller's transaction (they commit together)."""
    await append_history(
        conn, wish_id=wish_id, claim_id=claim_id, action=action, from_status=from_status,
        to_status=to_status, actor_id=actor.id, actor_role=actor.role, note=note, at=at,
    )
    await enqueue(conn, SCHEMA, [encode(e, source=SOURCE) for e in events])
