"""All HTTP routes of the notify service: feeds, inboxes and channels."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

from services.notify.handlers.http import create_router
from services.notify.handlers.inbox import create_inbox_router
from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.notify.factory import NotifyFactory


def create_routes(factory: Callable[[], "NotifyFactory"], tokens: TokenCodec) -> APIRouter:
    """One router; routes are copied so each keeps its full path (the tracer is chosen by path)."""
    router = APIRouter(prefix="")
    for part in (create_router(factory, tokens), create_inbox_router(factory, tokens)):
        router.routes.extend(part.routes)
    return router
