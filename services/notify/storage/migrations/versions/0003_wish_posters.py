"""Who posted each wish, learnt from the wish's first event, so later events can reach them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the wish poster table."""
    op.execute("CREATE TABLE wish_posters (wish_id text PRIMARY KEY, poster_id text NOT NULL)")


def downgrade() -> None:
    """Drop it."""
    op.execute("DROP TABLE wish_posters")
