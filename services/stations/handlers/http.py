"""HTTP routes of the stations service."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

from shared.auth import TokenCodec

if TYPE_CHECKING:
    from services.stations.factory import StationsFactory


def create_router(factory: Callable[[], "StationsFactory"], tokens: TokenCodec) -> APIRouter:
    """The stations routes, bound to the service's composition root."""
    return APIRouter(prefix="/stations", tags=["stations"])
