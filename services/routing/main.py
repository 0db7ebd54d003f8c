"""Entry point of the routing service: what `nuanxin run --target routing` starts."""

from pathlib import Path

from services.routing import factory
from services.routing.handlers.http import create_router
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="routing",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_router,
    background=lambda f: f.background(),
)
