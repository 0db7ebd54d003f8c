"""Shared DDL: the outbox and inbox tables, statistics targets, scripts run statement by statement."""

from collections.abc import Sequence

PLATFORM_TABLES = """
CREATE TABLE outbox (
    seq        bigserial PRIMARY KEY,
    topic      text        NOT NULL,
    key        bytea       NOT NULL,
    headers    jsonb       NOT NULL,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE outbox IS 'Events committed with their state change, waiting for the relay';

CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
COMMENT ON TABLE inbox IS 'Event ids already applied, written in the same transaction as the effect';
"""


def statements(script: str) -> list[str]:
    """Split a DDL script into statements (asyncpg prepares one statement at a time).

    Statements end with ``;`` at the end of a line; keep semicolons out of literals' line ends.
    """
    parts, current = [], []
    for line in script.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            parts.append("\n".join(current).strip())
            current = []
    rest = "\n".join(current).strip()
    if rest:
        parts.append(rest)
    return [p for p in parts if p and p != ";"]


def execute_script(execute, script: str) -> None:
    """Run each statement of a script through Alembic's ``op.execute``."""
    for statement in statements(script):
        execute(statement)


def statistics_target(tables: Sequence[str], target: int) -> str:
    """One statement: every column of the tables, and every expression of their indexes, gets ``target``.

    ANALYZE reads 300 rows for each point of the largest target among a table's columns and index
    expressions, and sorts each column's values; a target of 10 samples 3,000 rows instead of the
    default 30,000 (-1 restores the default). Columns added later keep the default, and with it
    the large sample, unless their migration sets theirs too.
    """
    names = ", ".join(f"'{table}'" for table in tables)
    return f"""
    DO $$
    DECLARE c record;
    BEGIN
        FOR c IN SELECT attrelid::regclass AS rel, attname FROM pg_attribute
                 WHERE attrelid = ANY (ARRAY[{names}]::regclass[]) AND attnum > 0 AND NOT attisdropped LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS {target}', c.rel, c.attname);
        END LOOP;
        FOR c IN SELECT i.indexrelid::regclass AS index, a.attnum FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indexrelid
                 WHERE i.indrelid = ANY (ARRAY[{names}]::regclass[]) AND i.indkey[a.attnum - 1] = 0 LOOP
            EXECUTE format('ALTER INDEX %s ALTER COLUMN %s SET STATISTICS {target}', c.index, c.attnum);
        END LOOP;
    END $$
    """
