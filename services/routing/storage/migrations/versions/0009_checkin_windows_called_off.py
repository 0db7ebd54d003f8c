"""Check-in windows called off when their pairing ends: the missed-visit watch skips them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add when a window was called off, and leave those out of the watch's index."""
    execute_script(
        op.execute,
        """
        ALTER TABLE checkin_windows ADD COLUMN called_off_at timestamptz;
        DROP INDEX checkin_windows_due;
        CREATE INDEX checkin_windows_due ON checkin_windows (window_end)
            WHERE visited_by IS NULL AND alerted_case IS NULL AND called_off_at IS NULL;
        """,
    )


def downgrade() -> None:
    """Drop the column; the watch's index goes back to what it was."""
    execute_script(
        op.execute,
        """
        DROP INDEX checkin_windows_due;
        ALTER TABLE checkin_windows DROP COLUMN called_off_at;
        CREATE INDEX checkin_windows_due ON checkin_windows (window_end)
            WHERE visited_by IS NULL AND alerted_case IS NULL;
        """,
    )
