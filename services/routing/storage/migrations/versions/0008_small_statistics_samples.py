"""Cases, their timers, history and joins, and routing's inbox: statistics from 3,000 rows.

Each case adds a row to cases and history and two or three timers, so autoanalyze keeps coming
back to these tables; a target of 10 on every column and on the latitude band of the me-too
index makes it sample 3,000 rows instead of 30,000. The me-too search's plan on 20,000 cases is
checked in tests/integration/test_routing_batch.py. Why and how to keep it: docs/operations.md,
"PostgreSQL's statistics on the tables that grow".

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

from shared.postgres.ddl import statistics_target

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("cases", "deadlines", "case_history", "case_reports", "inbox")


def upgrade() -> None:
    """ANALYZE samples 3,000 rows of each instead of 30,000."""
    op.execute(statistics_target(TABLES, 10))


def downgrade() -> None:
    """Back to the server's default_statistics_target."""
    op.execute(statistics_target(TABLES, -1))
