"""Splitting DDL scripts into the single statements asyncpg can prepare."""

from __future__ import annotations

from shared.postgres.ddl import PLATFORM_TABLES, execute_script, statements


def test_platform_tables_split_into_four_statements():
    parts = statements(PLATFORM_TABLES)

    assert len(parts) == 4
    assert parts[0].startswith("CREATE TABLE outbox (")
    assert parts[1].startswith("COMMENT ON TABLE outbox IS")
    assert parts[2].startswith("CREATE TABLE inbox (")
    assert parts[3].startswith("COMMENT ON TABLE inbox IS")


def test_each_statement_is_whole_and_ends_with_its_semicolon():
    for part in statements(PLATFORM_TABLES):
        assert part == part.strip()
        assert part.endswith(";")
        assert part.count(";") == 1


def test_multi_line_statement_keeps_all_its_lines():
    create_outbox = statements(PLATFORM_TABLES)[0]
    assert "created_at timestamptz NOT NULL DEFAULT now()" in create_outbox
    assert create_outbox.endswith(");")


def test_trailing_statement_without_semicolon_is_kept():
    assert statements("CREATE TABLE a (x int);\n\nSELECT 1") == ["CREATE TABLE a (x int);", "SELECT 1"]


def test_blank_script_and_lone_semicolons_give_no_statements():
    assert statements("\n   \n") == []
    assert statements("CREATE TABLE a (x int);\n;\n") == ["CREATE TABLE a (x int);"]


def test_execute_script_runs_each_statement_in_order():
    ran: list[str] = []
    execute_script(ran.append, "CREATE TABLE a (x int);\nCREATE TABLE b (y int);\n")
    assert ran == ["CREATE TABLE a (x int);", "CREATE TABLE b (y int);"]
