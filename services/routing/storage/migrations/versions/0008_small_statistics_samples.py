"""A small statistics sample for the tables that grow with every case.

Every case adds rows to these tables, so autoanalyze comes back to them as they grow, and each
time it read 30,000 sample rows and sorted every column's values: 0.25-0.4 s of CPU for a table
of 100,000 rows; over a benchmark run, 17 s of CPU in 148 s of load across the services' tables.
They are read by key and by short ranges of an index, where 10 histogram buckets and 10 common
values plan as well as 100 (the me-too search's plan is checked on 20,000 cases); a 3,000-row
sample makes each ANALYZE six to ten times cheaper.

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
