"""HTTP routes of wishes for everyone and for posters: the public wall, posting, one's own wishes."""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.wishes.app.changes import WishNotFound, found
from services.wishes.domain.wish import CATEGORIES, COMMUNITY_CENTRE, WishDraft
from services.wishes.handlers.views import WishCard, WishView, card, checked_id, refusals, wish_view
from shared.auth import Principal, TokenCodec
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.wishes.factory import WishesFactory

Category = Literal["clothing", "repair", "legal_help", "schooling", "health", "daily_needs", "other"]
assert set(Category.__args__) == set(CATEGORIES)  # one list of categories, checked at import


class PostBody(BaseModel):
    """A new wish, as a worker writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=120, description="What is wished for, in a few words.")
    details: str = Field("", max_length=2000, description="Sizes, models, the legal question...")
    why: str = Field("", max_length=1000, description="Why it would help.")
    category: Category = Field(description=f"One of: {', '.join(CATEGORIES)}.")
    wanted_by: date = Field(description="Last day it is wanted (Chongqing date).")
    handover: str = Field(
        COMMUNITY_CENTRE, min_length=1, max_length=100,
        description=f"A warm station id, or {COMMUNITY_CENTRE!r}.",
    )
    community_code: str = Field(pattern=r"^\d{12}$", description="The worker's community (12 digits).")
    shares: int = Field(1, ge=1, description="Equal parts donors may claim.")


class CancelBody(BaseModel):
    """Why the poster cancels (optional)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(None, max_length=500, description="The poster's reason, if any.")


def create_router(factory: Callable[[], "WishesFactory"], tokens: TokenCodec) -> APIRouter:
    """The wall and the poster's routes, bound to the service's composition root."""
    router = APIRouter(prefix="/wishes", tags=["wishes"])
    worker = principal_dependency(tokens, "worker")
    anyone = principal_dependency(tokens)

    @router.get("", response_model=list[WishCard])
    async def wish_wall(
        community: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
        category: Category | None = None,
    ) -> list[WishCard]:
        """The public wish wall: approved, unfinished wishes, without who posted them."""
        f = factory()
        rows = await f.wishes.public_wall(community=community, category=category, limit=f.settings.wall_limit)
        return [card(r) for r in rows]

    @router.post("", status_code=201, response_model=WishView)
    async def post_wish(body: PostBody, principal: Annotated[Principal, Depends(worker)]) -> WishView:
        """Post a wish; it is public once staff of its community approve it."""
        with refusals("wish"):
            row = await factory().post(WishDraft(**body.model_dump()), principal)
        return wish_view(row, principal, [], None)

    @router.get("/mine", response_model=list[WishView])
    async def my_wishes(principal: Annotated[Principal, Depends(anyone)]) -> list[WishView]:
        """The caller's own wishes with full status (claims and trail: open one wish)."""
        rows = await factory().wishes.posted_by(principal.subject)
        return [wish_view(r, principal, [], None) for r in rows]

    @router.get("/{wish_id}", response_model=WishView)
    async def get_wish(wish_id: str, principal: Annotated[Principal, Depends(anyone)]) -> WishView:
        """One wish, as much of it as the caller may see."""
        wish_id = checked_id(wish_id)
        detail = await factory().wishes.detail(wish_id)
        with refusals("wish"):
            if detail is None:
                raise WishNotFound
            row = found(detail.wish, principal)
        return wish_view(row, principal, detail.claims, detail.history)

    @router.post("/{wish_id}/cancel", response_model=WishView)
    async def cancel(
        wish_id: str, body: CancelBody, principal: Annotated[Principal, Depends(anyone)]
    ) -> WishView:
        """The poster withdraws their wish; claims still held are released."""
        wish_id = checked_id(wish_id)
        with refusals("wish"):
            row = await factory().cancel(wish_id, principal, body.reason)
        return wish_view(row, principal, [], None)

    return router
