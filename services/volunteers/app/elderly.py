"""Elderly residents living alone, and their pairing with a confirmed elderly_carer volunteer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from services.volunteers.app.errors import Conflict, Forbidden, Invalid, NotFound
from services.volunteers.app.registration import SOURCE
from services.volunteers.domain.privacy import ElderScope, visibility
from services.volunteers.storage import elderly, registry
from services.volunteers.storage.registry import SCHEMA
from shared.auth import Principal
from shared.clock import Clock
from shared.events.envelope import encode
from shared.events.volunteers import PairingEndedV1
from shared.ids import new_id
from shared.postgres.outbox import enqueue

CARER = "elderly_carer"


def scope_of(row: asyncpg.Record) -> ElderScope:
    """Where an elder (or a pairing's elder) lives and who is paired with them now."""
    return ElderScope(row["community_code"], row["volunteer_id"])


def elder_view(row: asyncpg.Record, principal: Principal) -> dict | None:
    """What the principal may see of an elder: all, that they exist and are paired, or nothing."""
    seen = visibility(principal, scope_of(row))
    if seen == "none":
        return None
    view = {
        "elder_id": str(row["elder_id"]), "community_code": row["community_code"], "name": row["name"],
        "pairing_id": str(row["pairing_id"]) if row["pairing_id"] else None,
        "volunteer_id": row["volunteer_id"], "address": None, "phone": None,
    }
    if seen == "full":
        view.update(address=row["address"], phone=row["phone"])
    return view


def pairing_view(row: asyncpg.Record) -> dict:
    """A pairing as the API shows it (never the address, nor why it ended)."""
    return {
        "pairing_id": str(row["pairing_id"]), "elder_id": str(row["elder_id"]),
        "volunteer_id": row["volunteer_id"], "community_code": row["community_code"],
        "created_at": row["created_at"], "ended_at": row["ended_at"],
    }


async def _visible(
    principal: Principal, read: Callable[[], Awaitable[asyncpg.Record | None]], what: str, field: str
) -> asyncpg.Record:
    """A row of an elder or a pairing the principal may see (its existence at least), else NotFound
    (a malformed id is one nobody may see)."""
    try:
        row = await read()
    except asyncpg.DataError:
        row = None
    if row is None or visibility(principal, scope_of(row)) == "none":
        raise NotFound(f"no {what} you may see", field=field)
    return row


def _staff_of_community(principal: Principal, row: asyncpg.Record, doing: str) -> None:
    """Only staff of the elder's own community may do this."""
    if principal.role != "community_staff" or principal.community != row["community_code"]:
        raise Forbidden(f"only staff of the elder's community {doing}")


async def visible_pairing(
    conn: asyncpg.Connection, principal: Principal, pairing_id: str, *, lock: bool = False,
    ended_too: bool = False,
) -> asyncpg.Record:
    """A pairing the principal may see (its elder's existence at least), else NotFound; an ended
    one only with ``ended_too``.

    With ``lock`` it cannot end before the caller's transaction does, so nothing the caller
    publishes about it can follow the end's event.
    """
    row = await _visible(principal, lambda: elderly.pairing(conn, pairing_id, lock=lock),
                         f"pairing {pairing_id}", "pairing_id")
    if row["ended_at"] is not None and not ended_too:
        raise NotFound(f"pairing {pairing_id} ended on {row['ended_at']:%Y-%m-%d %H:%M} UTC",
                       field="pairing_id")
    return row


class Elderly:
    """Community staff register elders and pair them; everyone sees only what their role allows."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def register(self, principal: Principal, *, name: str, address: str, phone: str) -> dict:
        """Register an elder in the staff member's own community."""
        if principal.role != "community_staff" or principal.community is None:
            raise Forbidden("only community staff register elderly residents")
        elder_id = new_id()
        async with self._pool.acquire() as conn, conn.transaction():
            await elderly.add_elder(
                conn, elder_id=elder_id, community_code=principal.community, name=name, address=address,
                phone=phone, created_by=principal.subject, created_at=self._clock.now(),
            )
            return elder_view(await elderly.elder(conn, elder_id), principal)  # type: ignore[return-value]

    async def list(self, principal: Principal) -> list[dict]:
        """Every elder the principal may know of, with the address only where allowed."""
        async with self._pool.acquire() as conn:
            rows = await elderly.elders(conn)
        return [v for v in (elder_view(r, principal) for r in rows) if v is not None]

    async def get(self, principal: Principal, elder_id: str) -> dict:
        """One elder, as much as the principal may see; NotFound when nothing."""
        async with self._pool.acquire() as conn:
            row = await _visible(principal, lambda: elderly.elder(conn, elder_id),
                                 f"elderly resident {elder_id}", "elder_id")
        return elder_view(row, principal)  # type: ignore[return-value]

    async def pair(self, principal: Principal, *, elder_id: str, volunteer_id: str) -> dict:
        """Pair an elder with a confirmed elderly_carer of the same community."""
        async with self._pool.acquire() as conn, conn.transaction():
            elder = await _visible(principal, lambda: elderly.elder(conn, elder_id),
                                   f"elderly resident {elder_id}", "elder_id")
            _staff_of_community(principal, elder, "pair them with a volunteer")
            volunteer = await registry.get(conn, volunteer_id)
            if volunteer is None or volunteer["community_code"] != elder["community_code"]:
                raise Invalid(f"{volunteer_id} is not a volunteer of community {elder['community_code']}",
                              field="volunteer_id")
            if not await registry.has_confirmed_role(conn, volunteer_id, CARER):
                raise Conflict(f"{volunteer_id} holds no confirmed {CARER} role", field="volunteer_id")
            if elder["pairing_id"] is not None:
                raise Conflict(f"elder {elder_id} is already paired", field="elder_id")
            try:
                row = await elderly.add_pairing(
                    conn, pairing_id=new_id(), elder_id=elder_id, volunteer_id=volunteer_id,
                    community_code=elder["community_code"], created_by=principal.subject,
                    created_at=self._clock.now(),
                )
            except asyncpg.UniqueViolationError as exc:
                raise Conflict(f"elder {elder_id} is already paired", field="elder_id") from exc
            return pairing_view(row)

    async def end_pairing(self, principal: Principal, pairing_id: str, *, reason: str) -> dict:
        """End a pairing (staff of the elder's community): the elder may be paired again, and the
        pairing's visits still to come are called off (PairingEndedV1, for routing's watch)."""
        async with self._pool.acquire() as conn, conn.transaction():
            pairing = await _visible(principal, lambda: elderly.pairing(conn, pairing_id),
                                     f"pairing {pairing_id}", "pairing_id")
            _staff_of_community(principal, pairing, "end a pairing")
            if pairing["ended_at"] is not None:
                raise Conflict(f"pairing {pairing_id} ended on {pairing['ended_at']:%Y-%m-%d %H:%M} UTC",
                               field="pairing_id")
            at = self._clock.now()
            row = await elderly.end_pairing(
                conn, pairing_id, ended_by=principal.subject, reason=reason, at=at
            )
            if row is None:  # ended by someone else since it was read
                raise Conflict(f"pairing {pairing_id} has already ended", field="pairing_id")
            event = PairingEndedV1(
                pairing_id=pairing_id, volunteer_id=row["volunteer_id"],
                community_code=row["community_code"], ended_by=principal.subject, ended_at=at,
            )
            await enqueue(conn, SCHEMA, [encode(event, source=SOURCE)])
            return pairing_view(row)

    async def pairings(self, principal: Principal) -> list[dict]:
        """Active pairings the principal may see: staff by jurisdiction, volunteers their own."""
        async with self._pool.acquire() as conn:
            rows = await elderly.pairings(conn)
        return [pairing_view(r) for r in rows if visibility(principal, scope_of(r)) != "none"]
