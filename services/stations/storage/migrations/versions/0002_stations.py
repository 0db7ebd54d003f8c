"""The warm map's stations and a log of imports.

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
    """Create the station and import-log tables."""
    execute_script(
        op.execute,
        """
        CREATE TABLE stations (
            station_id     text        PRIMARY KEY,
            name           text        NOT NULL,
            kind           text        NOT NULL,
            lon            float8      NOT NULL,
            lat            float8      NOT NULL,
            address        text        NOT NULL DEFAULT '',
            community_code text,
            hours          text        NOT NULL,
            amenities      text[]      NOT NULL DEFAULT '{}',
            synthetic      boolean     NOT NULL DEFAULT false,
            updated_at     timestamptz NOT NULL,
            CHECK (lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90)
        );
        COMMENT ON TABLE stations IS
            'Points of the warm map; lon/lat are WGS84 (GCJ-02 is converted on import)';
        CREATE TABLE station_imports (
            import_id   bigserial   PRIMARY KEY,
            source      text        NOT NULL,
            actor       text        NOT NULL,
            rows        integer     NOT NULL,
            created     integer     NOT NULL,
            updated     integer     NOT NULL,
            imported_at timestamptz NOT NULL
        );
        COMMENT ON TABLE station_imports IS 'Who imported which file when; one row per accepted import';
        """,
    )


def downgrade() -> None:
    """Drop the station and import-log tables."""
    execute_script(op.execute, "DROP TABLE station_imports;\nDROP TABLE stations;")
