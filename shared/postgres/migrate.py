"""Apply a service's Alembic migrations inside its own schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config


def sqlalchemy_url(database_url: str) -> str:
    """The asyncpg-dialect URL SQLAlchemy wants for a plain PostgreSQL URL."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+asyncpg://" + database_url[len(prefix) :]
    return database_url


def alembic_config(database_url: str, *, schema: str, script_location: Path) -> Config:
    """An Alembic config for one service, without an ini file."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    # configparser interpolates '%', which URL-encoded passwords contain.
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    cfg.attributes["schema"] = schema
    return cfg


async def upgrade(database_url: str, *, schema: str, script_location: Path) -> None:
    """Migrate the schema to head; safe to run from several processes at once."""
    cfg = alembic_config(database_url, schema=schema, script_location=script_location)
    # Alembic is synchronous and its env runs its own event loop: keep it off ours.
    await asyncio.to_thread(command.upgrade, cfg, "head")
