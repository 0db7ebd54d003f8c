"""HTTP routes of donors and posters on claims: claim, withdraw, hand over, confirm, thank."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from services.wishes.app.claim import ClaimRequest
from services.wishes.domain.claims import THANKS_MAX
from services.wishes.domain.wish import DONOR_KINDS, default_donor_kind
from services.wishes.handlers.views import ClaimView, checked_id, claim_view, refusals
from shared.auth import Principal, TokenCodec
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.wishes.factory import WishesFactory

DonorKind = Literal["merchant", "volunteer", "party_member_team", "resident"]
assert set(DonorKind.__args__) == set(DONOR_KINDS)


class ClaimBody(BaseModel):
    """How much of a wish a donor takes on."""

    model_config = ConfigDict(extra="forbid")

    shares: int = Field(1, ge=1, description="How many shares (ignored when whole is true).")
    whole: bool = Field(False, description="Claim every share still left.")
    donor_kind: DonorKind | None = Field(
        None, description="merchant, volunteer, party_member_team or resident; default from the token."
    )


class HandOverBody(BaseModel):
    """Where the donor handed it over: a warm station, or a place in words."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    station_id: str | None = Field(None, max_length=100, description="Warm station id.")
    place: str | None = Field(None, max_length=200, description="Where, when not at a station.")


class ThankBody(BaseModel):
    """The worker's thank-you to a donor."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=THANKS_MAX, description="A short thank-you.")


def create_claim_router(factory: Callable[[], "WishesFactory"], tokens: TokenCodec) -> APIRouter:
    """Routes on claims, bound to the service's composition root."""
    router = APIRouter(prefix="/wishes", tags=["wishes: claims"])
    anyone = principal_dependency(tokens)
    Caller = Annotated[Principal, Depends(anyone)]

    @router.get("/claims/mine", response_model=list[ClaimView])
    async def my_claims(principal: Caller) -> list[ClaimView]:
        """The caller's claims as a donor, newest first."""
        rows = await factory().wishes.claims_by(principal.subject)
        return [claim_view(r, principal, "") for r in rows]

    @router.post("/{wish_id}/claims", status_code=201, response_model=ClaimView)
    async def claim(wish_id: str, body: ClaimBody, principal: Caller) -> ClaimView:
        """Claim shares of an approved wish; they are held for you for a while."""
        wish_id = checked_id(wish_id)
        kind = body.donor_kind or default_donor_kind(principal.volunteer_roles)
        with refusals("wish"):
            row = await factory().claim(ClaimRequest(wish_id, kind, body.shares, body.whole), principal)
        return claim_view(row, principal, "")

    @router.post("/{wish_id}/claims/{claim_id}/withdraw", response_model=ClaimView)
    async def withdraw(wish_id: str, claim_id: str, principal: Caller) -> ClaimView:
        """The donor gives the shares back before handing over."""
        ids = checked_id(wish_id), checked_id(claim_id, "claim")
        with refusals("claim"):
            row = await factory().withdraw(*ids, principal)
        return claim_view(row, principal, "")

    @router.post("/{wish_id}/claims/{claim_id}/hand-over", response_model=ClaimView)
    async def hand_over(wish_id: str, claim_id: str, body: HandOverBody, principal: Caller) -> ClaimView:
        """The donor marks the hand-over done, at a warm station or a named place."""
        ids = checked_id(wish_id), checked_id(claim_id, "claim")
        if not (body.station_id or body.place):
            raise ProblemError(422, "invalid_request", "station_id: name the warm station or the place",
                               fields=[{"field": "station_id", "problem": "station_id or place is required"}])
        with refusals("claim"):
            row = await factory().fulfil.hand_over(
                *ids, principal, station_id=body.station_id or None, place=body.place or None
            )
        return claim_view(row, principal, "")

    @router.post("/{wish_id}/claims/{claim_id}/confirm", response_model=ClaimView)
    async def confirm(wish_id: str, claim_id: str, principal: Caller) -> ClaimView:
        """The worker confirms they received the donor's share."""
        ids = checked_id(wish_id), checked_id(claim_id, "claim")
        with refusals("claim"):
            row = await factory().fulfil.confirm(*ids, principal)
        return claim_view(row, principal, principal.subject)

    @router.post("/{wish_id}/claims/{claim_id}/thank", response_model=ClaimView)
    async def thank(wish_id: str, claim_id: str, body: ThankBody, principal: Caller) -> ClaimView:
        """The worker thanks the donor of a received share, once."""
        ids = checked_id(wish_id), checked_id(claim_id, "claim")
        with refusals("claim"):
            row = await factory().fulfil.thank(*ids, principal, body.message)
        return claim_view(row, principal, principal.subject)

    return router
