"""HTTP routes of the volunteers service."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.volunteers.factory import VolunteersFactory


def create_router(factory: Callable[[], "VolunteersFactory"], tokens: TokenCodec) -> APIRouter:
    """The volunteers routes, bound to the service's composition root."""
    return APIRouter(prefix="/volunteers", tags=["volunteers"])
