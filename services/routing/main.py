"""Entry point of the routing service: what `nuanxin run --target routing` starts."""

from pathlib import Path

from services.routing import factory
from services.routing.handlers.routes import create_routes
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="routing",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_routes,
    background=lambda f: f.background(),
)
