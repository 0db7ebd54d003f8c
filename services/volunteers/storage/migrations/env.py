"""Alembic environment: the shared runner, inside this service's schema."""

from shared.postgres.alembic_env import run_migrations

run_migrations()
