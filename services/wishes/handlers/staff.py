"""HTTP routes of staff: review queue, approve or reject, and wish statistics per community."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.wishes.app.changes import STAFF_ROLES
from services.wishes.domain.wish import street_of
from services.wishes.handlers.views import WishView, checked_id, refusals, wish_view
from shared.auth import Principal, TokenCodec
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.wishes.factory import WishesFactory


class RejectBody(BaseModel):
    """Why a wish is rejected; the worker reads it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500, description="Why, in words the worker understands.")


class CommunityStats(BaseModel):
    """Wishes of one community (or, with community_code null, of the whole scope) by outcome."""

    community_code: str | None
    pending_review: int
    open: int = Field(description="Approved, nothing claimed yet.")
    claimed: int = Field(description="Partly or fully claimed, not yet fulfilled.")
    fulfilled: int
    expired: int
    rejected: int
    cancelled: int
    median_hours_to_fulfil: float | None = Field(description="From approval to the last share received.")
    avg_hours_to_fulfil: float | None


class StatsView(BaseModel):
    """Per-community rows and their total."""

    communities: list[CommunityStats]
    total: CommunityStats


def _scope(principal: Principal, community: str | None) -> tuple[str | None, str | None]:
    """(community, street) filters: a community asked for must be in the caller's jurisdiction."""
    if community is not None:
        if not principal.sees_community(community, street_of(community)):
            raise ProblemError(403, "forbidden", f"community {community} is outside your jurisdiction")
        return community, None
    if principal.role == "community_staff":
        return principal.community, None
    if principal.role == "street_staff":
        return None, principal.street
    return None, None


def _stats(row: asyncpg.Record | None) -> CommunityStats:
    data = dict(row) if row is not None else {}  # no wishes at all: zeros, not missing numbers

    def hours(key: str) -> float | None:
        return None if data.get(key) is None else float(data[key]) / 3600

    return CommunityStats(
        community_code=data.get("community_code"),
        **{k: data.get(k, 0) for k in _COUNTS},
        median_hours_to_fulfil=hours("median_fulfil_s"),
        avg_hours_to_fulfil=hours("avg_fulfil_s"),
    )


_COUNTS = ("pending_review", "open", "claimed", "fulfilled", "expired", "rejected", "cancelled")


def create_staff_router(factory: Callable[[], "WishesFactory"], tokens: TokenCodec) -> APIRouter:
    """Staff routes, bound to the service's composition root."""
    router = APIRouter(prefix="/wishes", tags=["wishes: staff"])
    reviewer = principal_dependency(tokens, *STAFF_ROLES)
    viewer = principal_dependency(tokens, *STAFF_ROLES, "ops")

    @router.get("/review", response_model=list[WishView])
    async def review_queue(principal: Annotated[Principal, Depends(reviewer)]) -> list[WishView]:
        """Wishes of the caller's jurisdiction waiting for review, oldest first."""
        community, street = _scope(principal, None)
        rows = await factory().wishes.awaiting_review(community=community, street=street)
        return [wish_view(r, principal, [], None) for r in rows]

    @router.get("/stats", response_model=StatsView)
    async def stats(
        principal: Annotated[Principal, Depends(viewer)],
        community: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    ) -> StatsView:
        """Open, claimed, fulfilled, expired... per community, and approval-to-fulfilment times."""
        community, street = _scope(principal, community)
        rows = await factory().wishes.stats(community=community, street=street)
        per = [r for r in rows if r["community_code"] is not None]
        total = next((r for r in rows if r["community_code"] is None), None)
        return StatsView(communities=[_stats(r) for r in per], total=_stats(total))

    @router.post("/{wish_id}/approve", response_model=WishView)
    async def approve(wish_id: str, principal: Annotated[Principal, Depends(reviewer)]) -> WishView:
        """Approve a posted wish: it goes on the public wall."""
        wish_id = checked_id(wish_id)
        with refusals("wish"):
            row = await factory().review.approve(wish_id, principal)
        return wish_view(row, principal, [], None)

    @router.post("/{wish_id}/reject", response_model=WishView)
    async def reject(
        wish_id: str, body: RejectBody, principal: Annotated[Principal, Depends(reviewer)]
    ) -> WishView:
        """Reject a posted wish with a reason the worker reads."""
        wish_id = checked_id(wish_id)
        with refusals("wish"):
            row = await factory().review.reject(wish_id, principal, body.reason)
        return wish_view(row, principal, [], None)

    return router
