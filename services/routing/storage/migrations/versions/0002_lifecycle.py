"""Case lifecycle, audit trail, "me too" clusters, durable deadlines and exactly-once escalation.

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
    """Add lifecycle columns and the deadline, escalation, history and cluster tables."""
    execute_script(
        op.execute,
        """
        ALTER TABLE cases
            ADD COLUMN co_owner_code     text,
            ADD COLUMN reporter_private  text,
            ADD COLUMN cluster_size      integer     NOT NULL DEFAULT 1,
            ADD COLUMN escalation_level  integer     NOT NULL DEFAULT 0,
            ADD COLUMN hierarchy_version text,
            ADD COLUMN sla_basis         text        NOT NULL DEFAULT 'calendar',
            ADD COLUMN paused_at         timestamptz,
            ADD COLUMN resolved_at       timestamptz,
            ADD COLUMN trace_parent      text,
            ADD COLUMN updated_at        timestamptz;
        CREATE INDEX cases_open_nearby ON cases (category, opened_at)
            WHERE status NOT IN ('resolved', 'closed');
        CREATE INDEX cases_by_co_owner ON cases (co_owner_code, status);

        CREATE TABLE case_reports (
            report_id uuid PRIMARY KEY,
            case_id   uuid        NOT NULL REFERENCES cases (case_id),
            joined_at timestamptz NOT NULL
        );
        COMMENT ON TABLE case_reports IS 'Reports that joined an open case as "me too"';

        CREATE TABLE case_history (
            seq         bigserial PRIMARY KEY,
            case_id     uuid        NOT NULL REFERENCES cases (case_id),
            action      text        NOT NULL,
            from_status text,
            to_status   text        NOT NULL,
            actor_id    text        NOT NULL,
            actor_role  text        NOT NULL,
            note        text,
            at          timestamptz NOT NULL
        );
        CREATE INDEX case_history_by_case ON case_history (case_id, seq);
        COMMENT ON TABLE case_history IS 'Audit trail: who did what to a case, when and why';

        CREATE TABLE deadlines (
            case_id  uuid        NOT NULL REFERENCES cases (case_id),
            kind     text        NOT NULL CHECK (kind IN ('acknowledge', 'escalate')),
            level    integer     NOT NULL,
            due_at   timestamptz NOT NULL,
            fired_at timestamptz,
            PRIMARY KEY (case_id, kind, level)
        );
        CREATE INDEX deadlines_due ON deadlines (due_at) WHERE fired_at IS NULL;
        COMMENT ON TABLE deadlines IS 'Durable SLA timers; any routing instance fires them (SKIP LOCKED)';

        CREATE TABLE escalations (
            case_id           uuid        NOT NULL REFERENCES cases (case_id),
            level             integer     NOT NULL,
            to_unit_code      text        NOT NULL,
            hierarchy_version text        NOT NULL,
            escalated_at      timestamptz NOT NULL,
            PRIMARY KEY (case_id, level)
        );
        COMMENT ON TABLE escalations IS 'One row per (case, level): each escalation happens once';
        """,
    )


def downgrade() -> None:
    """Drop what this revision added."""
    execute_script(
        op.execute,
        """
        DROP TABLE escalations;
        DROP TABLE deadlines;
        DROP TABLE case_history;
        DROP TABLE case_reports;
        ALTER TABLE cases DROP COLUMN co_owner_code, DROP COLUMN reporter_private,
            DROP COLUMN cluster_size, DROP COLUMN escalation_level, DROP COLUMN hierarchy_version,
            DROP COLUMN sla_basis, DROP COLUMN paused_at, DROP COLUMN resolved_at,
            DROP COLUMN trace_parent, DROP COLUMN updated_at;
        """,
    )
