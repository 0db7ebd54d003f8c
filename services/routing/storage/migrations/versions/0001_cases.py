"""Cases, the outbox and the inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from alembic import op

from shared.postgres.ddl import PLATFORM_TABLES, execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the cases table and the platform tables."""
    execute_script(op.execute, PLATFORM_TABLES)
    execute_script(
        op.execute,
        """
        CREATE TABLE cases (
            case_id        uuid PRIMARY KEY,
            report_id      uuid        NOT NULL UNIQUE,
            kind           text        NOT NULL,
            category       text        NOT NULL,
            severity       text        NOT NULL,
            community_code text,
            street_code    text,
            lon            double precision NOT NULL,
            lat            double precision NOT NULL,
            reporter_id    text,
            status         text        NOT NULL,
            opened_at      timestamptz NOT NULL,
            acknowledge_by timestamptz NOT NULL,
            resolve_by     timestamptz NOT NULL
        );
        CREATE INDEX cases_by_community ON cases (community_code, status);
        CREATE INDEX cases_by_street ON cases (street_code, status);
        """
    )


def downgrade() -> None:
    """Drop everything this revision created."""
    execute_script(op.execute, "DROP TABLE cases;\nDROP TABLE inbox;\nDROP TABLE outbox;")
