"""Ended pairings, remembered: a visit scheduled for one after its end (a replayed event) comes
called off, and a check-in at or after the end satisfies no window.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of ended pairings."""
    execute_script(
        op.execute,
        """
        CREATE TABLE ended_pairings (
            pairing_id text PRIMARY KEY,
            ended_at   timestamptz NOT NULL
        );
        COMMENT ON TABLE ended_pairings IS
            'Ended pairings: a visit scheduled for one after its end (a replayed event) is called off';
        """,
    )


def downgrade() -> None:
    """Drop it."""
    execute_script(op.execute, "DROP TABLE ended_pairings;")
