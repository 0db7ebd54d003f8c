"""Tables every service has in its own schema: the outbox and the inbox."""

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
