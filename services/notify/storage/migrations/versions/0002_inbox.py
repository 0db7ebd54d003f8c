"""Per-recipient inboxes, preferences, webhooks and channel deliveries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the inbox, preference, webhook and delivery tables."""
    execute_script(
        op.execute,
        """
        CREATE TABLE notifications (
            id         bigserial PRIMARY KEY,
            recipient  text        NOT NULL,
            event_id   text        NOT NULL,
            event_type text        NOT NULL,
            title      text        NOT NULL,
            reason     text        NOT NULL,
            case_id    uuid,
            urgent     boolean     NOT NULL DEFAULT false,
            payload    jsonb       NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            read_at    timestamptz,
            UNIQUE (recipient, event_id)
        );
        CREATE INDEX notifications_inbox ON notifications (recipient, id);
        COMMENT ON TABLE notifications IS 'One row per (recipient, event): each event notifies each once';

        CREATE TABLE preferences (
            recipient   text PRIMARY KEY,
            kinds       text[]      NOT NULL DEFAULT '{}',
            channels    text[]      NOT NULL DEFAULT '{}',
            quiet_start time,
            quiet_end   time,
            phone       text,
            updated_at  timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE webhooks (
            webhook_id uuid PRIMARY KEY,
            recipient  text        NOT NULL,
            url        text        NOT NULL,
            secret     text        NOT NULL,
            kinds      text[]      NOT NULL DEFAULT '{}',
            active     boolean     NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX webhooks_by_recipient ON webhooks (recipient) WHERE active;

        CREATE TABLE deliveries (
            delivery_id     bigserial PRIMARY KEY,
            notification_id bigint      NOT NULL REFERENCES notifications (id),
            channel         text        NOT NULL,
            target          text        NOT NULL,
            status          text        NOT NULL DEFAULT 'pending',
            attempts        integer     NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            last_error      text,
            sent_at         timestamptz,
            UNIQUE (notification_id, channel, target)
        );
        CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
        COMMENT ON TABLE deliveries IS 'Webhook and SMS/app-push sends; dead after the attempt limit';
        """,
    )


def downgrade() -> None:
    """Drop what this revision created."""
    execute_script(
        op.execute,
        "DROP TABLE deliveries;\nDROP TABLE webhooks;\nDROP TABLE preferences;\nDROP TABLE notifications;",
    )
