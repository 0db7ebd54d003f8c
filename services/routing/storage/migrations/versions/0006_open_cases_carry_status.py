"""The index of open cases carries their status, so the open-cases gauge reads only that index.

Counting cases by status every 5 s read the whole table, or a whole index of it: 55 ms at a
million cases, most of them finished, in every routing instance. The partial index of unfinished
cases (``cases_open_by_band``) already holds exactly the cases the gauge counts each tick; with
``status`` among its included columns the count is an index-only scan of it (1.4 ms at 10,000
open cases among a million). ``status`` is in the index's predicate already, so a status change
wrote the index before too: no update that was HOT stops being HOT.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Rebuild the index of open cases with their status included."""
    execute_script(
        op.execute,
        """
        DROP INDEX cases_open_by_band;
        CREATE INDEX cases_open_by_band ON cases (category, (floor(lat * 200)::int), lon)
            INCLUDE (lat, opened_at, status) WHERE status NOT IN ('resolved', 'closed');
        """,
    )


def downgrade() -> None:
    """Back to the index without the status."""
    execute_script(
        op.execute,
        """
        DROP INDEX cases_open_by_band;
        CREATE INDEX cases_open_by_band ON cases (category, (floor(lat * 200)::int), lon)
            INCLUDE (lat, opened_at) WHERE status NOT IN ('resolved', 'closed');
        """,
    )
