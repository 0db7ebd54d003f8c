"""Wishes, the outbox and the inbox.

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
    """Create the wishes table and the platform tables."""
    execute_script(op.execute, PLATFORM_TABLES)
    execute_script(
        op.execute,
        """
        CREATE TABLE wishes (
            wish_id        uuid PRIMARY KEY,
            poster_id      text        NOT NULL,
            community_code text        NOT NULL,
            category       text        NOT NULL,
            title          text        NOT NULL,
            status         text        NOT NULL,
            wanted_by      date,
            created_at     timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX wishes_by_status ON wishes (status, created_at DESC);
        """
    )


def downgrade() -> None:
    """Drop everything this revision created."""
    execute_script(op.execute, "DROP TABLE wishes;\nDROP TABLE inbox;\nDROP TABLE outbox;")
