"""The points ledger in PostgreSQL: transactions unique per source, entries append-only."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from services.volunteers.domain.ledger import REDEMPTION, Entry, Transaction


async def lock_volunteer(conn: asyncpg.Connection, volunteer_id: str) -> None:
    """Serialise bookings of one volunteer, so caps and balances are read and written as one."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('points:' || $1))", volunteer_id)


async def booked(conn: asyncpg.Connection, source_kind: str, source_id: str) -> bool:
    """Whether a source has been booked already."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM ledger_transactions WHERE source_kind = $1 AND source_id = $2", source_kind, source_id
    ))


async def credited_on(conn: asyncpg.Connection, volunteer_id: str, day: date) -> int:
    """Points credited to a volunteer on one day (redemptions do not count)."""
    return await conn.fetchval(
        "SELECT coalesce(sum(points), 0) FROM ledger_transactions "
        "WHERE volunteer_id = $1 AND day = $2 AND source_kind <> $3", volunteer_id, day, REDEMPTION,
    )


async def balance(conn: asyncpg.Connection, account: str) -> int:
    """An account's balance."""
    return await conn.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE account = $1", account
    )


async def book(conn: asyncpg.Connection, txn: Transaction, booked_at: datetime) -> bool:
    """Append a transaction and its entries; False if its source was booked before."""
    txn_id = await conn.fetchval(
        """
        INSERT INTO ledger_transactions (source_kind, source_id, volunteer_id, requested, points, reason,
            day, occurred_at, booked_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (source_kind, source_id) DO NOTHING RETURNING txn_id
        """,
        txn.source_kind, txn.source_id, txn.volunteer_id, txn.requested, txn.points, txn.reason,
        txn.day, txn.occurred_at, booked_at,
    )
    if txn_id is None:
        return False
    await conn.executemany(
        "INSERT INTO ledger_entries (txn_id, account, amount) VALUES ($1, $2, $3)",
        [(txn_id, e.account, e.amount) for e in txn.entries],
    )
    return True


async def transaction(conn: asyncpg.Connection, source_kind: str, source_id: str) -> Transaction | None:
    """One booked transaction by its source."""
    rows = await _transactions(conn, "WHERE t.source_kind = $1 AND t.source_id = $2", source_kind, source_id)
    return rows[0] if rows else None


async def history(conn: asyncpg.Connection, volunteer_id: str, limit: int = 200) -> list[Transaction]:
    """A volunteer's latest transactions, newest first."""
    rows = await _transactions(conn, "WHERE t.volunteer_id = $1", volunteer_id)
    return rows[::-1][:limit]


async def all_transactions(conn: asyncpg.Connection) -> list[Transaction]:
    """Every transaction in booking order."""
    return await _transactions(conn, "")


async def balances(conn: asyncpg.Connection) -> dict[str, int]:
    """Every account's non-zero balance."""
    rows = await conn.fetch(
        "SELECT account, sum(amount) AS b FROM ledger_entries GROUP BY account HAVING sum(amount) <> 0 "
        "ORDER BY account"
    )
    return {r["account"]: int(r["b"]) for r in rows}


async def _transactions(conn: asyncpg.Connection, where: str, *args: object) -> list[Transaction]:
    rows = await conn.fetch(
        f"""
        SELECT t.*, coalesce(array_agg(e.account ORDER BY e.amount) FILTER (WHERE e.account IS NOT NULL),
                             '{{}}') AS accounts,
               coalesce(array_agg(e.amount ORDER BY e.amount) FILTER (WHERE e.account IS NOT NULL),
                        '{{}}') AS amounts
        FROM ledger_transactions t LEFT JOIN ledger_entries e USING (txn_id)
        {where} GROUP BY t.txn_id ORDER BY t.txn_id
        """,
        *args,
    )
    return [
        Transaction(
            r["source_kind"], r["source_id"], r["volunteer_id"], r["requested"], r["points"], r["reason"],
            r["day"], r["occurred_at"],
            tuple(Entry(a, m) for a, m in zip(r["accounts"], r["amounts"], strict=True)),
        )
        for r in rows
    ]
