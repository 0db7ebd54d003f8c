"""The feed, notifications, deliveries and notify's inbox: statistics from 3,000 rows.

Every case event appends to the feed and the inbox and adds a notification per recipient; the
feed's JSON payloads made its ANALYZE cost 240-370 ms at 100,000 rows, 27 ms with a target of 10
on every column. They are read by sequence number, recipient and event id. Why and how to keep
it: docs/operations.md, "PostgreSQL's statistics on the tables that grow".

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op

from shared.postgres.ddl import statistics_target

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("feed", "notifications", "deliveries", "inbox")


def upgrade() -> None:
    """ANALYZE samples 3,000 rows of each instead of 30,000."""
    op.execute(statistics_target(TABLES, 10))


def downgrade() -> None:
    """Back to the server's default_statistics_target."""
    op.execute(statistics_target(TABLES, -1))
