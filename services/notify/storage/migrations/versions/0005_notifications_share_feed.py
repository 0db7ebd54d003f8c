"""A case event's notifications read its body from the feed instead of holding a copy each.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Let a notification's payload be NULL: it is then the feed entry's of the same event id."""
    op.execute("ALTER TABLE notifications ALTER COLUMN payload DROP NOT NULL")
    op.execute(
        "COMMENT ON COLUMN notifications.payload IS "
        "'NULL for case events: the body is the feed entry''s with the same event_id (the feed is "
        "append-only); set for events that have no feed entry (wishes)'"
    )


def downgrade() -> None:
    """Copy the bodies back from the feed and require them again."""
    op.execute(
        "UPDATE notifications n SET payload = f.payload FROM feed f "
        "WHERE n.payload IS NULL AND f.event_id = n.event_id"
    )
    op.execute("COMMENT ON COLUMN notifications.payload IS NULL")
    op.execute("ALTER TABLE notifications ALTER COLUMN payload SET NOT NULL")
