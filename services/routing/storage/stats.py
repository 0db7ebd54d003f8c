"""Read-only SLA compliance figures over cases, their audit trail and escalations, for dashboards."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from shared.postgres.pool import snapshot

# Days are counted in Chongqing's time (UTC+8, no daylight saving), not the server's.
LOCAL_OFFSET = "interval '8 hours'"

# A case counts as acknowledged by its first 'acknowledge' row, or by a 'start' straight from
# new (which skips acknowledging; the SLA clock treats any move out of new the same way).
_FIRSTS = """
    SELECT c.*,
        (SELECT min(h.at) FROM case_history h
          WHERE h.case_id = c.case_id AND h.action IN ('acknowledge', 'start')) AS acked_at,
        (SELECT min(h.at) FROM case_history h
          WHERE h.case_id = c.case_id AND h.action = 'resolve') AS first_resolved_at,
        (SELECT min(h.at) FROM case_history h
          WHERE h.case_id = c.case_id AND h.action = 'dismiss') AS dismissed_at,
        EXISTS (SELECT 1 FROM case_history h
          WHERE h.case_id = c.case_id AND h.action = 'reopen') AS reopened,
        (SELECT min(e.escalated_at) FROM escalations e
          WHERE e.case_id = c.case_id) AS first_escalated_at
    FROM cases c
    WHERE ($1::text IS NULL OR c.community_code = $1 OR c.co_owner_code = $1)
      AND ($2::text IS NULL OR c.street_code = $2)
"""

_BY_COMMUNITY = f"""
WITH f AS ({_FIRSTS} AND c.opened_at >= $3)
SELECT community_code, street_code,
    count(*) AS total,
    count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open,
    count(*) FILTER (WHERE status NOT IN ('resolved', 'closed') AND paused_at IS NULL
        AND (resolve_by < $4 OR (status = 'new' AND acknowledge_by < $4))) AS overdue,
    count(*) FILTER (WHERE paused_at IS NOT NULL) AS paused,
    count(*) FILTER (WHERE escalation_level > 0) AS escalated,
    -- Decided: acknowledged, or its deadline passed unacknowledged (and not dismissed before it).
    count(*) FILTER (WHERE acked_at IS NOT NULL OR (acknowledge_by < $4
        AND (dismissed_at IS NULL OR dismissed_at > acknowledge_by))) AS ack_due,
    count(*) FILTER (WHERE acked_at <= acknowledge_by) AS ack_on_time,
    count(*) FILTER (WHERE first_resolved_at IS NOT NULL OR (resolve_by < $4 AND paused_at IS NULL
        AND (dismissed_at IS NULL OR dismissed_at > resolve_by))) AS resolve_due,
    count(*) FILTER (WHERE first_resolved_at <= resolve_by) AS resolved_on_time,
    count(*) FILTER (WHERE first_resolved_at IS NOT NULL) AS resolved,
    count(*) FILTER (WHERE reopened) AS reopened
FROM f
GROUP BY community_code, street_code
ORDER BY community_code NULLS FIRST, street_code
"""

# Breaches: a missed acknowledgement on the day its deadline passed; a missed resolution on the
# day the SLA clock recorded it (its first escalation; the clock skips paused cases).
_DAILY = f"""
WITH f AS ({_FIRSTS}),
days AS (
    SELECT d::date AS day FROM generate_series(
        (($3::timestamptz AT TIME ZONE 'UTC') + {LOCAL_OFFSET})::date,
        (($4::timestamptz AT TIME ZONE 'UTC') + {LOCAL_OFFSET})::date, interval '1 day') AS d
),
ev AS (
    SELECT opened_at AS at, 'opened' AS what FROM f
    UNION ALL
    SELECT first_resolved_at, 'resolved' FROM f WHERE first_resolved_at IS NOT NULL
    UNION ALL
    SELECT acknowledge_by, 'breached' FROM f
     WHERE acknowledge_by < $4 AND (acked_at IS NULL OR acked_at > acknowledge_by)
       AND (dismissed_at IS NULL OR dismissed_at > acknowledge_by)
    UNION ALL
    SELECT first_escalated_at, 'breached' FROM f WHERE first_escalated_at IS NOT NULL
)
SELECT days.day,
    count(ev.what) FILTER (WHERE ev.what = 'opened') AS opened,
    count(ev.what) FILTER (WHERE ev.what = 'resolved') AS resolved,
    count(ev.what) FILTER (WHERE ev.what = 'breached') AS breached
FROM days
LEFT JOIN ev ON ((ev.at AT TIME ZONE 'UTC') + {LOCAL_OFFSET})::date = days.day AND ev.at <= $4
GROUP BY days.day
ORDER BY days.day
"""


class PostgresCaseStats:
    """Compliance per community and day-by-day counts, within one jurisdiction."""

    def __init__(self, *, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def report(
        self, *, community: str | None, street: str | None, since: datetime, now: datetime
    ) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
        """Per owning community, how the cases opened since a time and their deadlines went; and
        opened, resolved and breached per local day from since to now (days with none included).

        Both from one snapshot, so the per-community totals and the days add up to the same cases
        even while cases are being opened and resolved.
        """
        async with snapshot(self._pool) as conn:
            by_community = await conn.fetch(_BY_COMMUNITY, community, street, since, now)
            daily = await conn.fetch(_DAILY, community, street, since, now)
        return by_community, daily
