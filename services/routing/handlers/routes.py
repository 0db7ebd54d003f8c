"""All HTTP routes of the routing service: cases and scheduled check-ins."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

from services.routing.handlers.checkins import create_checkin_router
from services.routing.handlers.dashboard import create_dashboard_router
from services.routing.handlers.http import create_router
from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.routing.factory import RoutingFactory


def create_routes(factory: Callable[[], "RoutingFactory"], tokens: TokenCodec) -> APIRouter:
    """One router; routes are copied so each keeps its full path (the tracer is chosen by path)."""
    router = APIRouter(prefix="")
    for part in (create_router(factory, tokens), create_checkin_router(factory, tokens)):
        router.routes.extend(part.routes)
    router.routes[0:0] = create_dashboard_router(factory, tokens).routes  # before /cases/{case_id}
    return router
