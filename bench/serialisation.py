"""What JSON and faststream's batch parsing cost a report: `python -m bench.serialisation`.

Times, per call, the encodings every report meets on its hot paths, with the standard library's
``json`` beside ``shared.jsontext`` (orjson), which the services use: an outbox row's headers
written as jsonb and read back by the relay, a consumer span's attributes written to the span
file. And faststream's parse of a batch of records, of the whole batch (what it does unless told
otherwise) against its first and last record (what ``shared.kafka.subscription`` gives it). Each
figure is the fastest of ``--repeat`` rounds of ``--number`` calls, in turns, so a machine whose
speed drifts slows both alike. No assertion: it measures.
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka.structs import ConsumerRecord
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser

from shared.events.envelope import encode
from shared.events.reports import ReportSubmittedV1
from shared.jsontext import dumps, dumps_bytes, loads

_STDLIB_SPAN = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # the exporter's before


def _message():
    report = ReportSubmittedV1(
        report_id="0193a0b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b", kind="hazard", category="blocked_fire_exit",
        severity="high", lon=106.63, lat=29.72, reporter_id="rider-1",
        submitted_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
    )
    return encode(report, source="/nuanxin/reports"), report


def _records(n: int) -> tuple[ConsumerRecord, ...]:
    message, _ = _message()
    return tuple(
        ConsumerRecord(
            topic="reports", partition=0, offset=i, timestamp=0, timestamp_type=0, key=message.key,
            value=message.value, checksum=None, serialized_key_size=len(message.key),
            serialized_value_size=len(message.value), headers=list(message.headers.items()),
        )
        for i in range(n)
    )


def _done(coroutine):
    # parse_batch awaits nothing: run it to its end without an event loop's cost in the timing.
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise RuntimeError("the coroutine waited for something")


def cases(batch: int) -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    """(what, the standard library's or faststream's way, the services' way), per call."""
    message, report = _message()
    headers = {k: v.decode() for k, v in message.headers.items()}
    stored = json.dumps(headers).encode()
    attributes = {
        "nuanxin.event_id": message.event_id, "nuanxin.event_type": report.event_type,
        "nuanxin.subject": report.report_id,
    }
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    records = _records(batch)
    return [
        ("outbox headers, written (jsonb)", lambda: json.dumps(headers), lambda: dumps_bytes(headers)),
        ("outbox headers, read (jsonb)", lambda: json.loads(stored), lambda: loads(memoryview(stored))),
        ("a span's attributes (span file)", lambda: _STDLIB_SPAN(attributes), lambda: dumps(attributes)),
        (
            f"faststream's parse of a batch of {batch}",
            lambda: _done(parser.parse_batch(records)),
            lambda: _done(parser.parse_batch((records[0], records[-1]))),
        ),
    ]


def measure(*, number: int, repeat: int, batch: int) -> list[dict]:
    """Microseconds a call, each way."""
    rows = []
    for what, before, now in cases(batch):
        times: dict[str, list[float]] = {"before": [], "now": []}
        for _ in range(repeat):
            for name, fn in (("before", before), ("now", now)):
                times[name].append(timeit.timeit(fn, number=number) / number * 1e6)
        rows.append({"what": what, "before_us": min(times["before"]), "now_us": min(times["now"])})
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    lines = [
        "| what | standard library / whole batch, µs | services, µs | saved, µs |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['what']} | {r['before_us']:.2f} | {r['now_us']:.2f} | {r['before_us'] - r['now_us']:.2f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.serialisation", description=__doc__.splitlines()[0])
    p.add_argument("--number", type=int, default=20_000, help="calls a round")
    p.add_argument("--repeat", type=int, default=5, help="rounds, each way in turns")
    p.add_argument("--batch", type=int, default=200, help="records in the parsed batch")
    p.add_argument("--json", help="also write the rows to this file")
    args = p.parse_args(argv)
    rows = measure(number=args.number, repeat=args.repeat, batch=args.batch)
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
