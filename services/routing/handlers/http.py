"""HTTP routes of routing: staff read and act on the cases of their jurisdiction."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import asyncpg
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from services.routing.app.act import ActRequest, CaseNotFound, NotYours
from services.routing.domain.lifecycle import ACTIONS, IllegalTransition, allowed_actions
from shared.auth import Principal, TokenCodec
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.routing.factory import RoutingFactory

STAFF = ("community_staff", "street_staff", "district_staff", "ops")


class CaseView(BaseModel):
    """A case as staff see it."""

    case_id: str
    report_id: str
    kind: str
    category: str
    severity: str
    community_code: str | None
    street_code: str | None
    co_owner_code: str | None
    lat: float
    lon: float
    reporter_id: str | None = Field(description="None when the reporter is hidden.")
    status: str
    cluster_size: int
    escalation_level: int
    paused: bool
    opened_at: datetime
    acknowledge_by: datetime
    resolve_by: datetime
    hierarchy_version: str | None
    allowed_actions: list[str]


class HistoryEntry(BaseModel):
    """One row of the audit trail."""

    action: str
    from_status: str | None
    to_status: str
    actor_id: str
    actor_role: str
    note: str | None
    at: datetime


class CaseDetail(CaseView):
    """A case with its reports and audit trail."""

    reports: list[str]
    history: list[HistoryEntry]


class ActionBody(BaseModel):
    """What goes with an action."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=2000, description="Note or reason (required by some).")
    community_code: str | None = Field(None, description="reassign: the community to hand it to.")
    photos: list[str] = Field(default_factory=list, max_length=6, description="Photo references.")


def _view(row: asyncpg.Record) -> dict:
    data = {k: row[k] for k in CaseView.model_fields if k in row.keys()}
    data.update(
        case_id=str(row["case_id"]), report_id=str(row["report_id"]), paused=row["paused_at"] is not None,
        allowed_actions=allowed_actions(row["status"], actor="staff"),
    )
    return data


def create_router(factory: Callable[[], "RoutingFactory"], tokens: TokenCodec) -> APIRouter:
    """The case routes, bound to the service's composition root."""
    router = APIRouter(prefix="/cases", tags=["cases"])
    staff = principal_dependency(tokens, *STAFF)
    actor = principal_dependency(tokens, *STAFF, "worker")

    @router.get("", response_model=list[CaseView])
    async def list_cases(principal: Annotated[Principal, Depends(staff)]) -> list[dict]:
        """Open cases of the caller's jurisdiction (owned or co-owned), the soonest deadline first."""
        rows = await factory().cases.list_open(
            community=principal.community if principal.role == "community_staff" else None,
            street=principal.street if principal.role == "street_staff" else None,
        )
        return [_view(r) for r in rows]

    @router.get("/{case_id}", response_model=CaseDetail)
    async def get_case(case_id: str, principal: Annotated[Principal, Depends(staff)]) -> dict:
        """One case with its reports and audit trail, if it is in the caller's jurisdiction."""
        try:
            found = await factory().cases.detail(case_id)
        except asyncpg.DataError:
            found = None
        row = found.case if found is not None else None
        visible = row is not None and (
            principal.sees_community(row["community_code"], row["street_code"])
            or (principal.role == "community_staff" and principal.community == row["co_owner_code"])
        )
        if not visible:
            raise ProblemError(404, "not_found", f"no case {case_id} in your jurisdiction")
        history = [HistoryEntry(**dict(h)) for h in found.history]
        return {**_view(row), "reports": found.reports, "history": history}

    @router.post("/{case_id}/actions/{action}", response_model=CaseView)
    async def act(
        case_id: str,
        action: Annotated[str, Path(description=f"One of: {', '.join(ACTIONS)}")],
        body: ActionBody,
        principal: Annotated[Principal, Depends(actor)],
    ) -> dict:
        """Move a case through its lifecycle; illegal moves are refused with the reason."""
        request = ActRequest(case_id, action, body.note, body.community_code, tuple(body.photos))
        try:
            row = await factory().act(request, principal)
        except (CaseNotFound, asyncpg.DataError) as exc:
            raise ProblemError(404, "not_found", f"no case {case_id} in your jurisdiction") from exc
        except NotYours as exc:
            raise ProblemError(403, "forbidden", str(exc)) from exc
        except IllegalTransition as exc:
            raise ProblemError(409, "illegal_transition", str(exc)) from exc
        return _view(row)

    return router
