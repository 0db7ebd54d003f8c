"""HTTP routes for elderly residents, their pairings and visits; addresses only where allowed."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.volunteers.handlers.problems import as_problem
from shared.auth import Principal, TokenCodec
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.volunteers.factory import VolunteersFactory


class ElderBody(BaseModel):
    """An elderly resident living alone (personal data)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Name.")
    address: str = Field(min_length=1, max_length=300, description="Home address; shown to few.")
    phone: str = Field(pattern=r"^\+?[0-9][0-9 -]{4,19}$", description="Phone number; shown to few.")


class ElderView(BaseModel):
    """An elder as the caller may see them: address and phone are null unless allowed."""

    elder_id: str
    community_code: str
    name: str
    pairing_id: str | None
    volunteer_id: str | None
    address: str | None = Field(description="Only for the paired volunteer and the community's staff.")
    phone: str | None = Field(description="Only for the paired volunteer and the community's staff.")


class PairingBody(BaseModel):
    """Which elder to pair with which confirmed elderly_carer."""

    model_config = ConfigDict(extra="forbid")

    elder_id: str = Field(description="The elder.")
    volunteer_id: str = Field(min_length=1, max_length=100, description="A confirmed elderly_carer.")


class PairingView(BaseModel):
    """A pairing (never the address)."""

    pairing_id: str
    elder_id: str
    volunteer_id: str
    community_code: str
    created_at: datetime
    ended_at: datetime | None = Field(default=None, description="When staff ended it; null while active.")


class EndPairingBody(BaseModel):
    """Why a pairing ends (kept by the volunteers service; never on an event)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500,
                        description="e.g. the volunteer moved away, the elder moved in with family.")


class VisitBody(BaseModel):
    """A window in which the paired volunteer should visit."""

    model_config = ConfigDict(extra="forbid")

    window_start: AwareDatetime = Field(description="From when a visit counts (timezone required).")
    window_end: AwareDatetime = Field(description="By when a visit must be logged.")


class VisitView(BaseModel):
    """A scheduled visit and the check-in logged against it, if any."""

    visit_id: str
    pairing_id: str
    volunteer_id: str
    window_start: datetime
    window_end: datetime
    report_id: str | None
    outcome: str | None = Field(description="visited_fine, no_answer or needs_help once logged.")
    visited_at: datetime | None


def add_elderly_routes(
    router: APIRouter, factory: Callable[[], "VolunteersFactory"], tokens: TokenCodec
) -> None:
    """Add /elderly and /pairings routes to the volunteers router."""
    anyone = principal_dependency(tokens)
    community = principal_dependency(tokens, "community_staff")
    scheduler = principal_dependency(tokens, "community_staff", "worker")

    @router.post("/elderly", status_code=201, response_model=ElderView)
    async def register_elder(body: ElderBody, principal: Annotated[Principal, Depends(community)]) -> dict:
        """Register an elderly resident in the caller's community."""
        with as_problem():
            return await factory().elderly.register(principal, **body.model_dump())

    @router.get("/elderly", response_model=list[ElderView])
    async def elders(principal: Annotated[Principal, Depends(anyone)]) -> list[dict]:
        """Elders the caller may know of; address and phone only for their carer and community."""
        return await factory().elderly.list(principal)

    @router.get("/elderly/{elder_id}", response_model=ElderView)
    async def elder(elder_id: str, principal: Annotated[Principal, Depends(anyone)]) -> dict:
        """One elder, as much as the caller may see."""
        with as_problem():
            return await factory().elderly.get(principal, elder_id)

    @router.post("/pairings", status_code=201, response_model=PairingView)
    async def pair(body: PairingBody, principal: Annotated[Principal, Depends(community)]) -> dict:
        """Pair an elder with a confirmed elderly_carer of the same community."""
        with as_problem():
            return await factory().elderly.pair(principal, elder_id=body.elder_id,
                                                volunteer_id=body.volunteer_id)

    @router.get("/pairings", response_model=list[PairingView])
    async def pairings(principal: Annotated[Principal, Depends(anyone)]) -> list[dict]:
        """Active pairings: staff by jurisdiction, a volunteer their own."""
        return await factory().elderly.pairings(principal)

    @router.post("/pairings/{pairing_id}/end", response_model=PairingView)
    async def end_pairing(
        pairing_id: str, body: EndPairingBody, principal: Annotated[Principal, Depends(community)]
    ) -> dict:
        """End a pairing: the elder may be paired again, and its visits still to come are called off
        (publishes nuanxin.pairing.ended.v1, so no missed-visit alert is raised for them)."""
        with as_problem():
            return await factory().elderly.end_pairing(principal, pairing_id, reason=body.reason)

    @router.post("/pairings/{pairing_id}/visits", status_code=201, response_model=VisitView)
    async def schedule(
        pairing_id: str, body: VisitBody, principal: Annotated[Principal, Depends(scheduler)]
    ) -> dict:
        """Schedule a visit window; publishes nuanxin.visit.scheduled.v1 for the missed-visit watch."""
        with as_problem():
            return await factory().visits.schedule(principal, pairing_id, body.window_start, body.window_end)

    @router.get("/pairings/{pairing_id}/visits", response_model=list[VisitView])
    async def visits(pairing_id: str, principal: Annotated[Principal, Depends(anyone)]) -> list[dict]:
        """A pairing's visits and their logged outcomes."""
        with as_problem():
            return await factory().visits.of_pairing(principal, pairing_id)
