"""Entry point of the stations service: what `nuanxin run --target stations` starts."""

from pathlib import Path

from services.stations import factory
from services.stations.handlers.http import create_router
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="stations",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_router,
    background=lambda f: f.background(),
)
