"""The feed knows a case's co-owner, so the neighbouring community's dashboard sees it live too.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the co-owner column and index."""
    op.execute("ALTER TABLE feed ADD COLUMN co_owner_code text")
    op.execute("CREATE INDEX feed_by_co_owner ON feed (co_owner_code, seq)")


def downgrade() -> None:
    """Drop them."""
    op.execute("DROP INDEX feed_by_co_owner")
    op.execute("ALTER TABLE feed DROP COLUMN co_owner_code")
