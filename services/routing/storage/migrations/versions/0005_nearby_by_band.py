"""Open cases near a point found within a band of latitude, not the district's whole height.

Indexed by (category, lon), the "me too" search read every open case of the category in a strip
a few hundred metres wide and as tall as the district: its cost grew with the open cases (12 % of
the database's execution time once the bench had 100,000 of them, 3.8 ms per batch). The index
now leads with a latitude band of 0.005° (~550 m, taller than any search box: the widest radius
is 150 m), so a search reads the one or two bands its box touches, then the longitude range in
each.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index open cases by category, latitude band and longitude; drop the index by longitude."""
    execute_script(
        op.execute,
        """
        CREATE INDEX cases_open_by_band ON cases (category, (floor(lat * 200)::int), lon)
            INCLUDE (lat, opened_at) WHERE status NOT IN ('resolved', 'closed');
        DROP INDEX cases_open_by_lon;
        """,
    )


def downgrade() -> None:
    """Back to the index by longitude."""
    execute_script(
        op.execute,
        """
        CREATE INDEX cases_open_by_lon ON cases (category, lon) INCLUDE (lat, opened_at)
            WHERE status NOT IN ('resolved', 'closed');
        DROP INDEX cases_open_by_band;
        """,
    )
