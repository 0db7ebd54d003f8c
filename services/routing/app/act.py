"""Use case: staff, the reporter or the system act on a case through its state machine."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.routing.domain import lifecycle
from services.routing.domain.hierarchy import Hierarchy
from services.routing.domain.sla import SlaPolicy
from services.routing.storage import deadlines
from services.routing.storage.lifecycle import append_history, lock_case, update_case
from services.routing.storage.postgres import SCHEMA
from shared.auth import Principal
from shared.clock import Clock
from shared.events.cases import CaseTransitionedV1
from shared.events.envelope import encode
from shared.postgres.outbox import enqueue

SOURCE = "/nuanxin/routing"


class CaseNotFound(Exception):
    """No such case, or not one the caller may see (the same answer, so nothing leaks)."""


class NotYours(Exception):
    """The caller can see the case but this action is not theirs to take."""


@dataclass(frozen=True)
class ActRequest:
    """What the caller asked for."""

    case_id: str
    action: str
    note: str | None = None
    community_code: str | None = None  # reassign: the new owner
    photos: tuple[str, ...] = ()


class ActOnCase:
    """Check jurisdiction, apply the state machine, move the clock, write audit and event at once."""

    def __init__(self, *, pool: asyncpg.Pool, policy: SlaPolicy, hierarchy: Hierarchy, clock: Clock) -> None:
        self._pool = pool
        self._policy = policy
        self._hierarchy = hierarchy
        self._clock = clock

    async def __call__(self, request: ActRequest, principal: Principal) -> asyncpg.Record:
        """The case after the transition; raises CaseNotFound, NotYours or IllegalTransition."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            case = await lock_case(conn, request.case_id)
            actor = _actor(case, principal)
            _check_authority(request.action, case, principal)
            t = lifecycle.apply(
                case["status"], request.action, actor=actor, note=request.note,
                resolved_at=case["resolved_at"], now=now,
            )
            changes = await self._clock_changes(conn, case, t, now)
            if request.action == "reassign":
                changes |= self._new_owner(request.community_code, now)
            after = await update_case(conn, request.case_id, now, status=t.to_status, **changes)
            note = request.note
            if request.photos:
                note = f"{note or ''} [photos: {', '.join(request.photos)}]".strip()
            await append_history(
                conn, case_id=request.case_id, action=t.action, from_status=t.from_status,
                to_status=t.to_status, actor_id=principal.subject, actor_role=principal.role,
                note=note, at=now,
            )
            event = CaseTransitionedV1(
                case_id=request.case_id, community_code=after["community_code"],
                street_code=after["street_code"], co_owner_code=after["co_owner_code"],
                reporter_id=after["reporter_id"], reporter_inbox=after["reporter_private"],
                action=t.action, from_status=t.from_status,
                to_status=t.to_status, actor_id=principal.subject, actor_role=principal.role,
                note=note, at=now,
            )
            await enqueue(conn, SCHEMA, [encode(event, source=SOURCE)])
        return after

    async def _clock_changes(self, conn, case, t: lifecycle.Transition, now) -> dict:
        case_id = str(case["case_id"])
        basis = case["sla_basis"]
        if t.pauses_clock:
            return {"paused_at": now}
        if t.resumes_clock and case["paused_at"] is not None:
            paused_at = case["paused_at"]
            for d in await deadlines.pending(conn, case_id):
                later = self._policy.extend_for_pause(basis, d["due_at"], paused_at, now)
                await deadlines.move(conn, case_id, d["kind"], d["level"], later)
            extend = self._policy.extend_for_pause
            return {
                "paused_at": None,
                "acknowledge_by": extend(basis, case["acknowledge_by"], paused_at, now),
                "resolve_by": extend(basis, case["resolve_by"], paused_at, now),
            }
        if t.to_status in ("resolved", "closed"):
            await deadlines.cancel_pending(conn, case_id, now)
            return {"resolved_at": now} if t.to_status == "resolved" else {}
        if t.action == "reopen":
            rule = self._policy.rule_for(case["kind"], case["category"], case["severity"])
            resolve_by = self._policy.add(rule.basis, now, rule.resolve_within)
            for level in range(case["escalation_level"] + 1, 3):
                due = self._policy.escalation_due(rule, resolve_by, level)
                await deadlines.move(conn, case_id, "escalate", level, due)
            return {"resolved_at": None, "resolve_by": resolve_by}
        return {}

    def _new_owner(self, community_code: str | None, now) -> dict:
        if not community_code:
            raise lifecycle.IllegalTransition("reassign needs the community to hand the case to")
        version = self._hierarchy.in_force(now)
        unit = version.unit(community_code)
        if unit is None or unit.level != "community":
            raise lifecycle.IllegalTransition(f"{community_code} is not a community in {version.version}")
        return {"community_code": unit.code, "street_code": unit.parent_code, "co_owner_code": None}


def _actor(case: asyncpg.Record | None, principal: Principal) -> str:
    if case is None:
        raise CaseNotFound
    if principal.role == "worker":
        if principal.subject != case["reporter_private"]:
            raise CaseNotFound
        return "reporter"
    owns = principal.sees_community(case["community_code"], case["street_code"])
    co_owns = principal.role == "community_staff" and principal.community == case["co_owner_code"]
    if not owns and not co_owns:
        raise CaseNotFound
    if not owns:
        raise NotYours("a co-owning community can see this case but only the owner acts on it")
    return "staff"


def _check_authority(action: str, case: asyncpg.Record, principal: Principal) -> None:
    if action == "return_not_ours" and principal.role != "community_staff":
        raise NotYours("only the owning community returns a case as not theirs")
    if action == "reassign" and principal.role not in ("street_staff", "district_staff"):
        raise NotYours("only the street/town or the district reassigns a case")
