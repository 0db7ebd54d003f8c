"""The outbox and the inbox of the volunteers service.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from alembic import op

from shared.postgres.ddl import PLATFORM_TABLES, execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the platform tables."""
    execute_script(op.execute, PLATFORM_TABLES)


def downgrade() -> None:
    """Drop the platform tables."""
    execute_script(op.execute, "DROP TABLE inbox;\nDROP TABLE outbox;")
