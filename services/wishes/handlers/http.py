"""HTTP routes of wishes: the public wish wall."""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel

from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.wishes.factory import WishesFactory


class WishCard(BaseModel):
    """A wish as the public wall shows it: what is wished for, never who wished it."""

    wish_id: str
    community_code: str
    category: str
    title: str
    status: str
    wanted_by: date | None


def create_router(factory: Callable[[], "WishesFactory"], tokens: TokenCodec) -> APIRouter:
    """The wish routes, bound to the service's composition root."""
    router = APIRouter(prefix="/wishes", tags=["wishes"])

    @router.get("", response_model=list[WishCard])
    async def wish_wall() -> list[WishCard]:
        """The public wish wall."""
        rows = await factory().wishes.public_wall()
        return [WishCard(**{**dict(r), "wish_id": str(r["wish_id"])}) for r in rows]

    return router
