"""Counting what came out of the other end: topics read from the start, cases, feed entries, a tally."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.settings import PlatformSettings
from tests.faults.harness.processes import Deployment


async def read_topic(settings: PlatformSettings, topic: str, timeout: float = 30) -> list[ConsumerRecord]:
    """Every record on a topic now, from the beginning to the end offsets (no consumer group)."""
    name = settings.topic(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                enable_auto_commit=False, fetch_max_wait_ms=20)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = consumer.partitions_for_topic(name)
        if not partitions:
            await consumer._client.force_metadata_update()  # the topic may be new to this client
            partitions = consumer.partitions_for_topic(name) or set()
        tps = [TopicPartition(name, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records += batch
    finally:
        await consumer.stop()
    return records


def header(record: ConsumerRecord, name: str) -> str | None:
    """A record header as text."""
    for key, value in record.headers or ():
        if key == name:
            return value.decode(errors="replace")
    return None


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.5) -> bool:
    """Poll until check() holds or the time is up; returns whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)


async def case_memberships(deployment: Deployment) -> dict[str, int]:
    """report id -> how many cases it opened or joined (must be exactly 1)."""
    rows = await deployment.sql(
        "SELECT report_id::text AS r, count(*) AS n FROM ("
        " SELECT report_id FROM routing.cases UNION ALL SELECT report_id FROM routing.case_reports"
        ") m GROUP BY report_id"
    )
    return {r["r"]: r["n"] for r in rows}


async def feed_entries(deployment: Deployment) -> dict[str, int]:
    """case id -> how many case.opened feed entries notify holds for it (must be exactly 1)."""
    rows = await deployment.sql(
        "SELECT c.case_id::text AS c, count(f.seq) AS n FROM routing.cases c "
        "LEFT JOIN notify.feed f ON f.case_id = c.case_id AND f.event_type = 'case.opened' "
        "GROUP BY c.case_id"
    )
    return {r["c"]: r["n"] for r in rows}


@dataclass
class Tally:
    """What came out of the other end, counted."""

    reports_driven: int
    reports_stored: int
    cases: int
    reports_without_case: int
    reports_in_several_cases: int
    cases_without_feed_entry: int
    cases_with_several_feed_entries: int
    feed_entries_without_case: int
    # A case with no deadlines would never escalate; a timer or history row must have its case.
    cases_without_deadlines: int = 0
    rows_without_case: int = 0
    reports_not_told_their_case: int | None = None
    case_opened_events_on_topic: int | None = None
    distinct_cases_on_topic: int | None = None

    @property
    def lost(self) -> int:
        """Reports or cases that did not get their effect."""
        return (self.reports_without_case + self.cases_without_feed_entry + self.cases_without_deadlines
                + (self.reports_driven - self.reports_stored) + (self.reports_not_told_their_case or 0))

    @property
    def duplicated(self) -> int:
        """Effects applied more than once."""
        return self.reports_in_several_cases + self.cases_with_several_feed_entries

    @property
    def stray(self) -> int:
        """Rows that belong to no case (nothing checks them row by row: this does)."""
        return self.rows_without_case + self.feed_entries_without_case

    def as_dict(self) -> dict[str, Any]:
        """For faults.json."""
        return {**self.__dict__, "lost": self.lost, "duplicated": self.duplicated, "stray": self.stray}


async def tally(
    deployment: Deployment, report_ids: Sequence[str], *, with_feed: bool = True,
    with_reports: bool = False, with_topic: bool = False,
) -> Tally:
    """Count, for these reports, cases and feed entries (and what intake learned)."""
    wanted = set(report_ids)
    members = await case_memberships(deployment)
    feed = await feed_entries(deployment) if with_feed else {}
    stored = len(wanted)
    told = None
    if with_reports:
        rows = await deployment.sql(
            "SELECT report_id::text AS r, case_id FROM reports.report_state "
            "WHERE report_id = ANY($1::uuid[])",
            list(wanted),
        )
        stored = len(rows)
        told = sum(1 for r in rows if r["case_id"] is None)
    extra_feed = 0
    if with_feed:
        extra_feed = (await deployment.sql(
            "SELECT count(*) AS n FROM notify.feed f WHERE f.event_type = 'case.opened' AND NOT EXISTS "
            "(SELECT 1 FROM routing.cases c WHERE c.case_id = f.case_id)"
        ))[0]["n"]
    (routing,) = await deployment.sql(
        "SELECT (SELECT count(*) FROM routing.cases c WHERE NOT EXISTS "
        "   (SELECT 1 FROM routing.deadlines d WHERE d.case_id = c.case_id)) AS without_deadlines, "
        "(SELECT count(*) FROM routing.deadlines d WHERE NOT EXISTS "
        "   (SELECT 1 FROM routing.cases c WHERE c.case_id = d.case_id)) "
        "+ (SELECT count(*) FROM routing.case_history h WHERE NOT EXISTS "
        "   (SELECT 1 FROM routing.cases c WHERE c.case_id = h.case_id)) AS strays"
    )
    result = Tally(
        reports_driven=len(wanted), reports_stored=stored,
        cases=(await deployment.sql("SELECT count(*) AS n FROM routing.cases"))[0]["n"],
        reports_without_case=sum(1 for r in wanted if members.get(r, 0) == 0),
        reports_in_several_cases=sum(1 for r in wanted if members.get(r, 0) > 1),
        cases_without_feed_entry=sum(1 for n in feed.values() if n == 0) if with_feed else 0,
        cases_with_several_feed_entries=sum(1 for n in feed.values() if n > 1),
        feed_entries_without_case=extra_feed,
        cases_without_deadlines=routing["without_deadlines"],
        rows_without_case=routing["strays"],
        reports_not_told_their_case=told,
    )
    if with_topic:
        records = await read_topic(deployment.settings, "cases")
        opened = [r for r in records if header(r, "ce_type") == "nuanxin.case.opened.v1"]
        result.case_opened_events_on_topic = len(opened)
        result.distinct_cases_on_topic = len({json.loads(r.value)["case_id"] for r in opened})
    return result


async def wait_for_effects(
    deployment: Deployment, report_ids: Sequence[str], *, timeout: float, with_feed: bool = True,
    with_reports: bool = False,
) -> Tally:
    """Wait until every report has its case (and feed entry, and intake knows), then count."""
    result: Tally | None = None

    async def done() -> bool:
        nonlocal result
        result = await tally(deployment, report_ids, with_feed=with_feed, with_reports=with_reports)
        return result.lost == 0

    await wait_until(done, timeout, interval=1.0)
    assert result is not None
    return result
