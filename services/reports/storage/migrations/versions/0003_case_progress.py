"""Where a report's case stands: its street and co-owner, so street staff and neighbours see it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the owning street and co-owner, and index reports by case."""
    execute_script(
        op.execute,
        """
        ALTER TABLE reports ADD COLUMN street_code text, ADD COLUMN co_owner_code text;
        CREATE INDEX reports_by_case ON reports (case_id);
        """,
    )


def downgrade() -> None:
    """Drop what this revision added."""
    execute_script(
        op.execute,
        """
        DROP INDEX reports_by_case;
        ALTER TABLE reports DROP COLUMN street_code, DROP COLUMN co_owner_code;
        """,
    )
