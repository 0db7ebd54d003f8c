"""Scheduled elderly check-in windows: a window that passes with no visit logged raises an alert.

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
    """Create the check-in window table."""
    execute_script(
        op.execute,
        """
        CREATE TABLE checkin_windows (
            window_id      uuid PRIMARY KEY,
            pairing_id     text        NOT NULL,
            volunteer_id   text        NOT NULL,
            community_code text        NOT NULL,
            window_start   timestamptz NOT NULL,
            window_end     timestamptz NOT NULL,
            visited_by     uuid,
            alerted_case   uuid,
            created_by     text        NOT NULL,
            CHECK (window_start < window_end)
        );
        CREATE INDEX checkin_windows_due ON checkin_windows (window_end)
            WHERE visited_by IS NULL AND alerted_case IS NULL;
        CREATE INDEX checkin_windows_by_pairing ON checkin_windows (pairing_id, window_end);
        COMMENT ON TABLE checkin_windows IS
            'When a paired volunteer must visit; the elder''s address is never stored here';
        """,
    )


def downgrade() -> None:
    """Drop the check-in window table."""
    execute_script(op.execute, "DROP TABLE checkin_windows;")
