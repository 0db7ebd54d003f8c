"""All HTTP routes of the wishes service, fixed paths before ``/wishes/{wish_id}``."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

from services.wishes.handlers.claims import create_claim_router
from services.wishes.handlers.http import create_router
from services.wishes.handlers.staff import create_staff_router
from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.wishes.factory import WishesFactory


def create_routes(factory: Callable[[], "WishesFactory"], tokens: TokenCodec) -> APIRouter:
    """One router; staff and claim routes come first so /wishes/review or /claims/mine is no wish id."""
    router = APIRouter(prefix="")
    for part in (
        create_staff_router(factory, tokens),
        create_claim_router(factory, tokens),
        create_router(factory, tokens),
    ):
        router.routes.extend(part.routes)
    return router
