"""Elderly check-ins name the volunteer-elder pairing the visit was for.

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
    """Add the pairing id."""
    op.execute("ALTER TABLE reports ADD COLUMN pairing_id text")


def downgrade() -> None:
    """Drop the pairing id."""
    op.execute("ALTER TABLE reports DROP COLUMN pairing_id")
