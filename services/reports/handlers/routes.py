"""All HTTP routes of the reports service: intake's own API, photos and the Open311 façade."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

from services.reports.handlers.http import create_router
from services.reports.handlers.open311 import create_open311_router
from services.reports.handlers.photos import create_photo_router
from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.reports.factory import ReportsFactory


def create_routes(factory: Callable[[], "ReportsFactory"], tokens: TokenCodec) -> APIRouter:
    """One router holding every reports route; its prefix is empty, each part brings its own."""
    router = APIRouter(prefix="")
    # Routes are copied rather than include_router()-ed: FastAPI nests included routers lazily,
    # and nuanxin.app picks each host's tracer from the paths in host.router.routes.
    parts = (
        create_photo_router(factory, tokens),
        create_router(factory, tokens),
        create_open311_router(factory, tokens),
    )
    for part in parts:
        router.routes.extend(part.routes)
    return router
