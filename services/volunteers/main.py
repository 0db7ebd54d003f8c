"""Entry point of the volunteers service: what `nuanxin run --target volunteers` starts."""

from pathlib import Path

from services.volunteers import factory
from services.volunteers.handlers.http import create_router
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="volunteers",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_router,
    live=False,  # visits and points are read when asked for, not pushed
)
