"""Deadlines and history rows are no longer checked row by row against their case.

Each case opens with three deadline rows (two in the triage queue) and a history row, and their
foreign keys made PostgreSQL look the case up again for every one of them (a trigger and a query
a row): about a quarter of the server's time on a routed report (`python -m bench.consumer_cost`).
Those rows are written only from what the cases' own insert returned, in the same statement
(``insert_cases``), or for a case the transaction has just read and locked (pausing, reopening,
acting on it); cases are never deleted. The fault suite counts cases without deadlines and rows
whose case does not exist after every run. Escalations and "me too" joins keep their checks:
they are rare, and written by other paths.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the row-by-row checks of deadlines and history against cases."""
    execute_script(
        op.execute,
        """
        ALTER TABLE deadlines DROP CONSTRAINT deadlines_case_id_fkey;
        ALTER TABLE case_history DROP CONSTRAINT case_history_case_id_fkey;
        """,
    )


def downgrade() -> None:
    """Check them again (rows whose case is missing make this fail, as they should)."""
    execute_script(
        op.execute,
        """
        ALTER TABLE deadlines ADD CONSTRAINT deadlines_case_id_fkey
            FOREIGN KEY (case_id) REFERENCES cases (case_id);
        ALTER TABLE case_history ADD CONSTRAINT case_history_case_id_fkey
            FOREIGN KEY (case_id) REFERENCES cases (case_id);
        """,
    )
