"""Who ended a pairing and why.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the staff member who ended a pairing and their reason (the end's time was there)."""
    execute_script(
        op.execute,
        """
        ALTER TABLE pairings ADD COLUMN ended_by text, ADD COLUMN end_reason text;
        COMMENT ON COLUMN pairings.end_reason IS
            'Why staff ended the pairing; stays here, never on an event';
        """,
    )


def downgrade() -> None:
    """Drop the columns."""
    execute_script(op.execute, "ALTER TABLE pairings DROP COLUMN end_reason, DROP COLUMN ended_by;")
