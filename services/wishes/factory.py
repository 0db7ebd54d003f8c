"""Composition root of the wishes service."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.wishes.storage.postgres import PostgresWishQueries
from shared.host import Runtime


@dataclass
class WishesFactory:
    """Everything the wishes handlers call, built once per process."""

    runtime: Runtime
    wishes: PostgresWishQueries = field(init=False)

    def __post_init__(self) -> None:
        self.wishes = PostgresWishQueries(pool=self.runtime.pool)


def create(runtime: Runtime) -> WishesFactory:
    """Build the composition root."""
    return WishesFactory(runtime=runtime)
