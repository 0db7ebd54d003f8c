"""HTTP routes of routing: staff read the cases of their jurisdiction."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import asyncpg
from fastapi import APIRouter, Depends
from pydantic import BaseModel

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
    lat: float
    lon: float
    reporter_id: str | None
    status: str
    opened_at: datetime
    acknowledge_by: datetime
    resolve_by: datetime


def _view(row: asyncpg.Record) -> CaseView:
    data = dict(row)
    data["case_id"] = str(data["case_id"])
    data["report_id"] = str(data["report_id"])
    return CaseView(**data)


def create_router(factory: Callable[[], "RoutingFactory"], tokens: TokenCodec) -> APIRouter:
    """The case routes, bound to the service's composition root."""
    router = APIRouter(prefix="/cases", tags=["cases"])
    staff = principal_dependency(tokens, *STAFF)

    @router.get("", response_model=list[CaseView])
    async def list_cases(principal: Annotated[Principal, Depends(staff)]) -> list[CaseView]:
        """Open cases of the caller's jurisdiction, the soonest deadline first."""
        rows = await factory().cases.list_open(
            community=principal.community if principal.role == "community_staff" else None,
            street=principal.street if principal.role == "street_staff" else None,
        )
        return [_view(r) for r in rows]

    @router.get("/{case_id}", response_model=CaseView)
    async def get_case(case_id: str, principal: Annotated[Principal, Depends(staff)]) -> CaseView:
        """One case, if it is in the caller's jurisdiction."""
        try:
            row = await factory().cases.get(case_id)
        except asyncpg.DataError:
            row = None
        if row is None or not principal.sees_community(row["community_code"], row["street_code"]):
            raise ProblemError(404, "not_found", f"no case {case_id} in your jurisdiction")
        return _view(row)

    return router
