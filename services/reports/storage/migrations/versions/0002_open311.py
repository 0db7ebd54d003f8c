"""What Open311 clients are shown that intake did not keep: the resolve deadline and status notes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the case's resolve deadline and a status note to each report."""
    execute_script(
        op.execute,
        """
        ALTER TABLE reports ADD COLUMN resolve_by timestamptz;
        ALTER TABLE reports ADD COLUMN status_notes text;
        CREATE INDEX reports_by_community ON reports (community_code, submitted_at DESC);
        """,
    )


def downgrade() -> None:
    """Drop what this revision added."""
    execute_script(
        op.execute,
        """
        DROP INDEX reports_by_community;
        ALTER TABLE reports DROP COLUMN status_notes;
        ALTER TABLE reports DROP COLUMN resolve_by;
        """,
    )
