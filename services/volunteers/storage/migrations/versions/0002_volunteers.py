"""Volunteers and their roles, elderly residents, pairings, visits, and the points ledger.

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
    """Create the service's tables."""
    execute_script(
        op.execute,
        """
        CREATE TABLE volunteers (
            volunteer_id   text PRIMARY KEY,
            community_code text        NOT NULL,
            registered_at  timestamptz NOT NULL
        );
        CREATE TABLE volunteer_roles (
            volunteer_id text NOT NULL REFERENCES volunteers,
            role         text NOT NULL,
            status       text NOT NULL CHECK (status IN ('pending', 'confirmed', 'declined')),
            reason       text,
            decided_by   text,
            decided_at   timestamptz,
            PRIMARY KEY (volunteer_id, role)
        );
        CREATE TABLE elders (
            elder_id       uuid PRIMARY KEY,
            community_code text        NOT NULL,
            name           text        NOT NULL,
            address        text        NOT NULL,
            phone          text        NOT NULL,
            created_by     text        NOT NULL,
            created_at     timestamptz NOT NULL
        );
        COMMENT ON TABLE elders IS
            'Personal data: address and phone only for the paired volunteer and the community';
        CREATE TABLE pairings (
            pairing_id     uuid PRIMARY KEY,
            elder_id       uuid        NOT NULL REFERENCES elders,
            volunteer_id   text        NOT NULL REFERENCES volunteers,
            community_code text        NOT NULL,
            created_by     text        NOT NULL,
            created_at     timestamptz NOT NULL,
            ended_at       timestamptz
        );
        CREATE UNIQUE INDEX pairings_one_active ON pairings (elder_id) WHERE ended_at IS NULL;
        CREATE TABLE visits (
            visit_id       uuid PRIMARY KEY,
            pairing_id     uuid        NOT NULL REFERENCES pairings,
            volunteer_id   text        NOT NULL,
            community_code text        NOT NULL,
            window_start   timestamptz NOT NULL,
            window_end     timestamptz NOT NULL,
            scheduled_by   text        NOT NULL,
            scheduled_at   timestamptz NOT NULL,
            report_id      text,
            CHECK (window_start < window_end)
        );
        CREATE INDEX visits_by_pairing ON visits (pairing_id, window_start);
        CREATE TABLE visit_log (
            report_id    text PRIMARY KEY,
            pairing_id   uuid        NOT NULL REFERENCES pairings,
            volunteer_id text        NOT NULL,
            outcome      text        NOT NULL CHECK (outcome IN ('visited_fine', 'no_answer', 'needs_help')),
            visited_at   timestamptz NOT NULL,
            visit_id     uuid REFERENCES visits
        );
        CREATE TABLE ledger_transactions (
            txn_id       bigserial PRIMARY KEY,
            source_kind  text        NOT NULL,
            source_id    text        NOT NULL,
            volunteer_id text        NOT NULL,
            requested    integer     NOT NULL CHECK (requested >= 0),
            points       integer     NOT NULL CHECK (points >= 0 AND points <= requested),
            reason       text,
            day          date        NOT NULL,
            occurred_at  timestamptz NOT NULL,
            booked_at    timestamptz NOT NULL,
            UNIQUE (source_kind, source_id)
        );
        CREATE INDEX ledger_by_volunteer_day ON ledger_transactions (volunteer_id, day);
        CREATE TABLE ledger_entries (
            txn_id  bigint  NOT NULL REFERENCES ledger_transactions,
            account text    NOT NULL,
            amount  integer NOT NULL CHECK (amount <> 0),
            PRIMARY KEY (txn_id, account)
        );
        CREATE INDEX ledger_entries_by_account ON ledger_entries (account);
        -- Append-only: a booking is corrected by another booking, never by editing this one.
        CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the points ledger is append-only'; END $$;
        CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
        CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
        """,
    )


def downgrade() -> None:
    """Drop the service's tables."""
    execute_script(
        op.execute,
        """
        DROP TABLE ledger_entries;
        DROP TABLE ledger_transactions;
        DROP FUNCTION ledger_append_only();
        DROP TABLE visit_log;
        DROP TABLE visits;
        DROP TABLE pairings;
        DROP TABLE elders;
        DROP TABLE volunteer_roles;
        DROP TABLE volunteers;
        """,
    )
