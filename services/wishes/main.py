"""Entry point of the wishes service: what `nuanxin run --target wishes` starts."""

from pathlib import Path

from services.wishes import factory
from services.wishes.handlers.routes import create_routes
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="wishes",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_routes,
    background=lambda f: f.background(),
)
