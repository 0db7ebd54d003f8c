"""The jurisdiction feed, the outbox and the inbox.

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
    """Create the feed table and the platform tables."""
    execute_script(op.execute, PLATFORM_TABLES)
    execute_script(
        op.execute,
        """
        CREATE TABLE feed (
            seq            bigserial PRIMARY KEY,
            event_id       text        NOT NULL UNIQUE,
            event_type     text        NOT NULL,
            case_id        uuid,
            community_code text,
            street_code    text,
            payload        jsonb       NOT NULL,
            trace_id       text,
            created_at     timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX feed_by_community ON feed (community_code, seq);
        CREATE INDEX feed_by_street ON feed (street_code, seq);
        COMMENT ON TABLE feed IS 'What each jurisdiction''s live dashboard stream carries, in order';
        """
    )


def downgrade() -> None:
    """Drop everything this revision created."""
    execute_script(op.execute, "DROP TABLE feed;\nDROP TABLE inbox;\nDROP TABLE outbox;")
