"""Check-in windows called off when their pairing ends: the missed-visit watch skips them, and
the ended pairings are remembered for windows and visits that arrive after the end.

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
    """Add when a window was called off, leave those out of the watch's index, and keep the ends."""
    execute_script(
        op.execute,
        """
        ALTER TABLE checkin_windows ADD COLUMN called_off_at timestamptz;
        CREATE TABLE ended_pairings (
            pairing_id text PRIMARY KEY,
            ended_at   timestamptz NOT NULL
        );
        COMMENT ON TABLE ended_pairings IS
            'Ended pairings: a visit scheduled for one after its end (a replayed event) is called off';
        DROP INDEX checkin_windows_due;
        CREATE INDEX checkin_windows_due ON checkin_windows (window_end)
            WHERE visited_by IS NULL AND alerted_case IS NULL AND called_off_at IS NULL;
        """,
    )


def downgrade() -> None:
    """Drop the column and the table; the watch's index goes back to what it was."""
    execute_script(
        op.execute,
        """
        DROP INDEX checkin_windows_due;
        DROP TABLE ended_pairings;
        ALTER TABLE checkin_windows DROP COLUMN called_off_at;
        CREATE INDEX checkin_windows_due ON checkin_windows (window_end)
            WHERE visited_by IS NULL AND alerted_case IS NULL;
        """,
    )
