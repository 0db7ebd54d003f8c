"""Where each report's case stands moves to its own narrow table, written by an insert.

The case follower marked every routed report by updating its row in ``reports``. That update
changed indexed columns (the case and the community), so PostgreSQL wrote a whole new version of
the wide row and an entry in each of the table's five indexes, and left the old version for
vacuum: 12 % of the server's statement time under load, and every report's row written twice.
Now intake's insert is the only write to ``reports`` (three indexes), and the follower inserts
one narrow row into ``report_routes`` (two indexes besides its key); the later, rarer changes of
a case (transitions, escalations) update those narrow rows. Reads go through two views.
``report_state`` joins the two tables: a report not yet routed has its intake status and no case.
``routed_report_state`` has the same columns for routed reports only, with the submission time
copied into ``report_routes``: a community's newest reports are then one index range
(community, submitted_at) instead of a sort of every report.
``python -m bench.key_order --compare routes`` measures both ways (docs/benchmark.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op

from shared.postgres.ddl import execute_script, statistics_target

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# What moves from reports to report_routes besides the status and the times.
MOVED = ("case_id", "community_code", "street_code", "co_owner_code", "resolve_by", "status_notes")
ROUTED_COLUMNS = ", ".join(MOVED)

# The report's own columns, then where its case stands: the same in both views.
REPORT_COLUMNS = (
    "r.report_id, r.reporter_id, r.kind, r.category, r.severity, r.lon, r.lat, r.description, "
    "r.address, r.photos, r.reporter_hidden, r.idempotency_key, r.pairing_id"
)
CASE_COLUMNS = ", ".join(f"x.{column}" for column in MOVED)

STATE_VIEWS = f"""
CREATE VIEW report_state AS
SELECT {REPORT_COLUMNS}, coalesce(x.status, r.status) AS status, {CASE_COLUMNS},
       r.submitted_at, coalesce(x.updated_at, r.updated_at) AS updated_at
FROM reports AS r LEFT JOIN report_routes AS x ON x.report_id = r.report_id;
COMMENT ON VIEW report_state IS 'Each report with where its case stands (none before routing)';
CREATE VIEW routed_report_state AS
SELECT {REPORT_COLUMNS}, x.status, {CASE_COLUMNS}, x.submitted_at, x.updated_at
FROM report_routes AS x JOIN reports AS r ON r.report_id = x.report_id;
COMMENT ON VIEW routed_report_state IS 'report_state of the routed reports, by report_routes'' indexes';
"""


def upgrade() -> None:
    """Create report_routes from the routed reports, drop those columns from reports, add the views."""
    execute_script(
        op.execute,
        f"""
        CREATE TABLE report_routes (
            report_id      uuid PRIMARY KEY,
            case_id        uuid        NOT NULL,
            status         text        NOT NULL,
            community_code text,
            street_code    text,
            co_owner_code  text,
            resolve_by     timestamptz,
            status_notes   text,
            submitted_at   timestamptz NOT NULL,
            updated_at     timestamptz NOT NULL
        );
        COMMENT ON TABLE report_routes IS 'Each routed report''s case, owners and status';
        INSERT INTO report_routes (report_id, status, submitted_at, updated_at, {ROUTED_COLUMNS})
        SELECT report_id, status, submitted_at, updated_at, {ROUTED_COLUMNS}
        FROM reports WHERE case_id IS NOT NULL;
        CREATE INDEX report_routes_by_case ON report_routes (case_id);
        CREATE INDEX report_routes_by_community ON report_routes (community_code, submitted_at DESC);
        DROP INDEX reports_by_case;
        DROP INDEX reports_by_community;
        ALTER TABLE reports DROP COLUMN case_id, DROP COLUMN community_code, DROP COLUMN street_code,
            DROP COLUMN co_owner_code, DROP COLUMN resolve_by, DROP COLUMN status_notes;
        {STATE_VIEWS}
        """,
    )
    op.execute(statistics_target(("report_routes",), 10))


def downgrade() -> None:
    """Put the routing columns back on reports, filled from report_routes, and drop the table."""
    execute_script(
        op.execute,
        """
        DROP VIEW report_state;
        DROP VIEW routed_report_state;
        ALTER TABLE reports ADD COLUMN case_id uuid, ADD COLUMN community_code text,
            ADD COLUMN street_code text, ADD COLUMN co_owner_code text,
            ADD COLUMN resolve_by timestamptz, ADD COLUMN status_notes text;
        UPDATE reports AS r SET status = x.status, updated_at = x.updated_at, case_id = x.case_id,
            community_code = x.community_code, street_code = x.street_code,
            co_owner_code = x.co_owner_code, resolve_by = x.resolve_by, status_notes = x.status_notes
        FROM report_routes AS x WHERE x.report_id = r.report_id;
        CREATE INDEX reports_by_community ON reports (community_code, submitted_at DESC);
        CREATE INDEX reports_by_case ON reports (case_id);
        DROP TABLE report_routes;
        """,
    )
    # The columns come back with the default target; 0005 had given every column of reports 10.
    op.execute(statistics_target(("reports",), 10))
