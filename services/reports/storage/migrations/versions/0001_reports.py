"""Reports, the outbox and the inbox.

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
    """Create the reports table and the platform tables."""
    execute_script(op.execute, PLATFORM_TABLES)
    execute_script(
        op.execute,
        """
        CREATE TABLE reports (
            report_id       uuid PRIMARY KEY,
            reporter_id     text        NOT NULL,
            kind            text        NOT NULL,
            category        text        NOT NULL,
            severity        text        NOT NULL,
            lon             double precision NOT NULL,
            lat             double precision NOT NULL,
            description     text        NOT NULL DEFAULT '',
            address         text,
            photos          text[]      NOT NULL DEFAULT '{}',
            reporter_hidden boolean     NOT NULL,
            idempotency_key text,
            status          text        NOT NULL,
            case_id         uuid,
            community_code  text,
            submitted_at    timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            UNIQUE (reporter_id, idempotency_key)
        );
        CREATE INDEX reports_by_reporter ON reports (reporter_id, submitted_at DESC);
        """
    )


def downgrade() -> None:
    """Drop everything this revision created."""
    execute_script(op.execute, "DROP TABLE reports;\nDROP TABLE inbox;\nDROP TABLE outbox;")
