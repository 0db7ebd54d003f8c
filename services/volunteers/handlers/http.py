"""HTTP routes of the volunteers service: registration and review of the six roles (六员)."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from services.volunteers.domain.roles import ROLES
from services.volunteers.handlers.elderly import add_elderly_routes
from services.volunteers.handlers.points import add_points_routes
from services.volunteers.handlers.problems import as_problem
from shared.auth import Principal, TokenCodec
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.volunteers.factory import VolunteersFactory

STAFF = ("community_staff", "street_staff", "district_staff", "ops")
COMMUNITY_CODE = r"^\d{12}$"


class RegisterBody(BaseModel):
    """A worker's request to volunteer in a community."""

    model_config = ConfigDict(extra="forbid")

    community_code: str = Field(pattern=COMMUNITY_CODE, description="The community (12-digit code).")
    roles: list[str] = Field(min_length=1, max_length=len(ROLES), description=f"Any of: {', '.join(ROLES)}.")


class ReviewBody(BaseModel):
    """Which pending roles a decision covers (all pending when omitted), and why."""

    model_config = ConfigDict(extra="forbid")

    roles: list[str] | None = Field(
        None, max_length=len(ROLES), description="Roles decided; default all pending."
    )
    reason: str | None = Field(None, max_length=500, description="Why; required to decline.")


class RoleView(BaseModel):
    """One role and where it stands."""

    role: str
    status: str
    reason: str | None


class VolunteerView(BaseModel):
    """A volunteer and their roles."""

    volunteer_id: str
    community_code: str
    registered_at: datetime
    roles: list[RoleView]


def create_router(factory: Callable[[], "VolunteersFactory"], tokens: TokenCodec) -> APIRouter:
    """The volunteers routes, bound to the service's composition root."""
    router = APIRouter(prefix="/volunteers", tags=["volunteers"])
    worker = principal_dependency(tokens, "worker")
    staff = principal_dependency(tokens, *STAFF)
    community = principal_dependency(tokens, "community_staff")

    @router.post("/me", status_code=201, response_model=VolunteerView)
    async def register(body: RegisterBody, principal: Annotated[Principal, Depends(worker)]) -> dict:
        """Register (or ask for more roles) in a community; roles wait for that community's staff."""
        with as_problem():
            return await factory().registrations.register(principal, body.community_code, body.roles)

    @router.get("/me", response_model=VolunteerView)
    async def me(principal: Annotated[Principal, Depends(worker)]) -> dict:
        """The caller's registration and the status of each role."""
        with as_problem():
            return await factory().registrations.mine(principal)

    @router.get("", response_model=list[VolunteerView])
    async def in_scope(principal: Annotated[Principal, Depends(staff)]) -> list[dict]:
        """Volunteers of the caller's community, street, or the whole district."""
        return await factory().registrations.in_scope(principal)

    for decision in ("confirm", "decline"):
        _add_review(router, factory, community, decision)

    add_elderly_routes(router, factory, tokens)
    add_points_routes(router, factory, tokens)
    return router


def _add_review(router: APIRouter, factory: Callable, community: Callable, decision: str) -> None:
    confirm = decision == "confirm"

    async def review(
        volunteer_id: str, body: ReviewBody, principal: Annotated[Principal, Depends(community)]
    ) -> dict:
        with as_problem():
            return await factory().registrations.review(
                principal, volunteer_id, confirm=confirm, roles=body.roles, reason=body.reason
            )

    review.__doc__ = ("Confirm pending roles (staff of the volunteer's community)." if confirm else
                      "Decline pending roles with a reason (staff of the volunteer's community).")
    router.add_api_route(f"/{{volunteer_id}}/{decision}", review, methods=["POST"],
                         response_model=VolunteerView, name=f"{decision}_volunteer")
