"""Entry point of the notify service: what `nuanxin run --target notify` starts."""

from pathlib import Path

from services.notify import factory
from services.notify.handlers.routes import create_routes
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="notify",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_routes,
    background=lambda f: f.background(),
)
