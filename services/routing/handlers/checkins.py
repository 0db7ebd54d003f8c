"""HTTP routes for scheduled elderly check-ins (staff schedule; missed windows raise alerts)."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import asyncpg
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from services.routing.app.checkins import CheckinRefused, WindowRequest
from shared.auth import Principal, TokenCodec
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.routing.factory import RoutingFactory

STAFF = ("community_staff", "street_staff", "district_staff")


class ScheduleBody(BaseModel):
    """A visit window to schedule; the elder's address is not part of it."""

    model_config = ConfigDict(extra="forbid")

    pairing_id: str = Field(min_length=1, max_length=100, description="The volunteer-elder pairing.")
    volunteer_id: str = Field(min_length=1, max_length=100, description="Who should visit.")
    community_code: str = Field(description="The elder's community (12-digit code).")
    window_start: datetime = Field(description="From when a visit counts (timezone required).")
    window_end: datetime = Field(description="By when a visit must be logged.")


class WindowView(BaseModel):
    """A scheduled window and what became of it."""

    window_id: str
    pairing_id: str
    volunteer_id: str
    community_code: str
    window_start: datetime
    window_end: datetime
    visited_by: str | None
    alerted_case: str | None
    called_off_at: datetime | None = Field(
        default=None, description="When its pairing ended with the visit still owed: no alert follows."
    )


def _view(row: asyncpg.Record) -> WindowView:
    data = dict(row)
    for key in ("window_id", "visited_by", "alerted_case"):
        data[key] = str(data[key]) if data[key] else None
    return WindowView(**data)


def create_checkin_router(factory: Callable[[], "RoutingFactory"], tokens: TokenCodec) -> APIRouter:
    """Routes under /checkins."""
    router = APIRouter(prefix="/checkins", tags=["elderly check-ins"])
    staff = principal_dependency(tokens, *STAFF)

    @router.post("", status_code=201, response_model=WindowView)
    async def schedule(body: ScheduleBody, principal: Annotated[Principal, Depends(staff)]) -> WindowView:
        """Schedule a visit window; if no visit is logged by its end, an urgent case opens."""
        if body.window_start.tzinfo is None or body.window_end.tzinfo is None:
            raise ProblemError(422, "invalid_request", "times need a timezone",
                               fields=[{"field": "window_start", "problem": "timezone required"}])
        request = WindowRequest(**body.model_dump())
        try:
            row = await factory().schedule_checkin(request, principal)
        except CheckinRefused as exc:
            raise ProblemError(422, "invalid_checkin", str(exc)) from exc
        return _view(row)

    @router.get("", response_model=list[WindowView])
    async def windows(principal: Annotated[Principal, Depends(staff)]) -> list[WindowView]:
        """Windows in the caller's community (district staff: all; street staff: use community)."""
        f = factory()
        async with f.runtime.pool.acquire() as conn:
            rows = await f.checkin_windows(conn, principal)
        return [_view(r) for r in rows]

    return router
