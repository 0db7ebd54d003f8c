"""Workers register as volunteers in a community; that community's staff confirm or decline roles."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.volunteers.app.errors import Conflict, Forbidden, Invalid, NotFound
from services.volunteers.domain.roles import (
    NotPending,
    RoleRefused,
    after_request,
    requested_roles,
    roles_to_decide,
)
from services.volunteers.storage import registry
from shared.auth import Principal
from shared.clock import Clock
from shared.events.envelope import encode
from shared.events.volunteers import VolunteerRegisteredV1, VolunteerReviewedV1
from shared.postgres.outbox import enqueue

SOURCE = "/nuanxin/volunteers"


async def volunteer_view(conn: asyncpg.Connection, volunteer: asyncpg.Record) -> dict:
    """A volunteer and their roles as the API shows them."""
    roles = await registry.roles_of(conn, volunteer["volunteer_id"])
    return {
        "volunteer_id": volunteer["volunteer_id"],
        "community_code": volunteer["community_code"],
        "registered_at": volunteer["registered_at"],
        "roles": [{"role": r["role"], "status": r["status"], "reason": r["reason"]} for r in roles],
    }


class Registrations:
    """Registration and review of volunteers and their roles."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def register(self, principal: Principal, community_code: str, roles: Sequence[str]) -> dict:
        """Ask for roles in a community; new and previously declined roles wait for staff."""
        try:
            asked = requested_roles(roles)
        except RoleRefused as exc:
            raise Invalid(str(exc), field="roles") from exc
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            existing = await registry.get(conn, principal.subject, lock=True)
            if existing is not None and existing["community_code"] != community_code:
                raise Conflict(
                    f"already registered in community {existing['community_code']}", field="community_code"
                )
            await registry.add(conn, principal.subject, community_code, now)
            current = {r["role"]: r["status"] for r in await registry.roles_of(conn, principal.subject)}
            changed = {r: s for r, s in after_request(current, asked).items() if current.get(r) != s}
            await registry.set_roles(conn, principal.subject, changed)
            event = VolunteerRegisteredV1(
                volunteer_id=principal.subject, community_code=community_code, roles=asked, registered_at=now
            )
            await enqueue(conn, registry.SCHEMA, [encode(event, source=SOURCE)])
            return await volunteer_view(conn, await registry.get(conn, principal.subject))

    async def mine(self, principal: Principal) -> dict:
        """The caller's own registration."""
        async with self._pool.acquire() as conn:
            row = await registry.get(conn, principal.subject)
            if row is None:
                raise NotFound("you have not registered as a volunteer")
            return await volunteer_view(conn, row)

    async def review(
        self, principal: Principal, volunteer_id: str, *, confirm: bool, roles: Sequence[str] | None,
        reason: str | None,
    ) -> dict:
        """Confirm or decline pending roles; only staff of the volunteer's community may."""
        if not confirm and not (reason or "").strip():
            raise Invalid("a reason is required to decline", field="reason")
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            row = await registry.get(conn, volunteer_id, lock=True)
            if row is None:
                raise NotFound(f"no volunteer {volunteer_id}", field="volunteer_id")
            if principal.role != "community_staff" or principal.community != row["community_code"]:
                raise Forbidden(f"only staff of community {row['community_code']} review this volunteer")
            current = {r["role"]: r["status"] for r in await registry.roles_of(conn, volunteer_id)}
            try:
                decided = roles_to_decide(current, roles)
            except NotPending as exc:
                raise Conflict(str(exc), field="roles") from exc
            except RoleRefused as exc:
                raise Invalid(str(exc), field="roles") from exc
            decision = "confirmed" if confirm else "declined"
            await registry.set_roles(conn, volunteer_id, dict.fromkeys(decided, decision),
                                     reason=reason, decided_by=principal.subject, decided_at=now)
            event = VolunteerReviewedV1(
                volunteer_id=volunteer_id, community_code=row["community_code"], decision=decision,
                roles=decided, reason=reason, reviewed_by=principal.subject, reviewed_at=now,
            )
            await enqueue(conn, registry.SCHEMA, [encode(event, source=SOURCE)])
            return await volunteer_view(conn, row)

    async def in_scope(self, principal: Principal) -> list[dict]:
        """Volunteers of the communities the staff member covers."""
        community = principal.community if principal.role == "community_staff" else None
        async with self._pool.acquire() as conn:
            rows = await registry.in_community(conn, community)
            return [await volunteer_view(conn, r) for r in rows
                    if principal.sees_community(r["community_code"], r["community_code"][:9])]
