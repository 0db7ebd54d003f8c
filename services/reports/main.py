"""Entry point of the reports service: what `nuanxin run --target reports` starts."""

from pathlib import Path

from services.reports import factory
from services.reports.handlers.routes import create_routes
from shared.host import ServiceSpec

SPEC = ServiceSpec(
    name="reports",
    migrations=Path(__file__).parent / "storage" / "migrations",
    create=factory.create,
    router=create_routes,
    close=lambda f: f.close(),
    live=False,  # riders see their reports' progress when they look, not pushed
)
