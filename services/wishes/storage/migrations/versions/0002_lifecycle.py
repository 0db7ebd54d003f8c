"""Wish lifecycle: details, shares, review, claims with holds, and the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from alembic import op

from shared.postgres.ddl import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the lifecycle columns, the claims and history tables, and the timer indexes."""
    execute_script(
        op.execute,
        """
        DROP INDEX wishes_by_status;
        ALTER TABLE wishes
            ADD COLUMN street_code      text        NOT NULL DEFAULT '',
            ADD COLUMN details          text        NOT NULL DEFAULT '',
            ADD COLUMN why              text        NOT NULL DEFAULT '',
            ADD COLUMN handover         text        NOT NULL DEFAULT 'community centre',
            ADD COLUMN shares           integer     NOT NULL DEFAULT 1,
            ADD COLUMN shares_taken     integer     NOT NULL DEFAULT 0,
            ADD COLUMN shares_fulfilled integer     NOT NULL DEFAULT 0,
            ADD COLUMN expires_at       timestamptz,
            ADD COLUMN reviewed_by      text,
            ADD COLUMN review_reason    text,
            ADD COLUMN approved_at      timestamptz,
            ADD COLUMN fulfilled_at     timestamptz,
            ADD COLUMN ended_at         timestamptz,
            ADD COLUMN updated_at       timestamptz,
            ADD CONSTRAINT wishes_shares_add_up
                CHECK (shares >= 1 AND shares_fulfilled >= 0 AND shares_fulfilled <= shares_taken
                       AND shares_taken <= shares);
        CREATE INDEX wishes_wall ON wishes (approved_at DESC)
            WHERE status IN ('open', 'partly_claimed', 'fully_claimed');
        CREATE INDEX wishes_by_poster ON wishes (poster_id, created_at DESC);
        CREATE INDEX wishes_by_community ON wishes (community_code, status);
        CREATE INDEX wishes_expiring ON wishes (expires_at)
            WHERE status IN ('pending_review', 'open', 'partly_claimed', 'fully_claimed');

        CREATE TABLE claims (
            claim_id            uuid PRIMARY KEY,
            wish_id             uuid        NOT NULL REFERENCES wishes (wish_id),
            donor_id            text        NOT NULL,
            donor_kind          text        NOT NULL,
            shares              integer     NOT NULL CHECK (shares >= 1),
            status              text        NOT NULL,
            held_until          timestamptz NOT NULL,
            claimed_at          timestamptz NOT NULL,
            handed_over_at      timestamptz,
            handover_station_id text,
            handover_place      text,
            confirmed_at        timestamptz,
            thanked_at          timestamptz,
            thanks_message      text,
            ended_at            timestamptz,
            end_reason          text
        );
        COMMENT ON TABLE claims IS 'A donor''s hold on shares of a wish; held rows are durable timers';
        CREATE INDEX claims_by_wish ON claims (wish_id, claimed_at);
        CREATE INDEX claims_by_donor ON claims (donor_id, claimed_at DESC);
        CREATE INDEX claims_due ON claims (held_until) WHERE status = 'held';

        CREATE TABLE wish_history (
            seq         bigserial PRIMARY KEY,
            wish_id     uuid        NOT NULL REFERENCES wishes (wish_id),
            claim_id    uuid,
            action      text        NOT NULL,
            from_status text,
            to_status   text        NOT NULL,
            actor_id    text        NOT NULL,
            actor_role  text        NOT NULL,
            note        text,
            at          timestamptz NOT NULL
        );
        COMMENT ON TABLE wish_history IS 'Audit trail: every transition of a wish or of a claim on it';
        CREATE INDEX wish_history_by_wish ON wish_history (wish_id, seq);
        """,
    )


def downgrade() -> None:
    """Drop what this revision added."""
    execute_script(
        op.execute,
        """
        DROP TABLE wish_history;
        DROP TABLE claims;
        DROP INDEX wishes_wall;
        DROP INDEX wishes_by_poster;
        DROP INDEX wishes_by_community;
        DROP INDEX wishes_expiring;
        ALTER TABLE wishes DROP CONSTRAINT wishes_shares_add_up,
            DROP COLUMN street_code, DROP COLUMN details, DROP COLUMN why, DROP COLUMN handover,
            DROP COLUMN shares, DROP COLUMN shares_taken, DROP COLUMN shares_fulfilled,
            DROP COLUMN expires_at, DROP COLUMN reviewed_by, DROP COLUMN review_reason,
            DROP COLUMN approved_at, DROP COLUMN fulfilled_at, DROP COLUMN ended_at,
            DROP COLUMN updated_at;
        CREATE INDEX wishes_by_status ON wishes (status, created_at DESC);
        """,
    )
