"""How fast this machine runs the services' kind of Python right now: a fixed piece of work, timed.

The same code on the same 2-core machine has measured 5,700 to 10,000 requests/s at the bare
endpoint's ceiling on one day: the machine is shared, and its speed decides many verdicts. Each run
times this yardstick at its start, between its stages and at its end, in a process of its own, so
two runs can be compared by the speed of the machine they had, and a run whose machine slowed on the
way says so.

The work is what a service does per event, without I/O: parse and validate a report's JSON with
intake's own model, build and encode its ``report.submitted`` CloudEvent, choose its partition,
write a span line's worth of JSON. ``python -m bench.yardstick`` prints one measurement as JSON.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

_BODY = json.dumps(
    {
        "kind": "hazard",
        "category": "blocked_fire_exit",
        "location": {"lat": 29.7182, "lon": 106.6311},
        "description": "Bikes parked across the fire exit of the market's back door.",
        "photos": [],
    }
).encode()
_PARTITIONS = list(range(6))


def _one_round(n: int) -> int:
    """``n`` events' worth of the work; returns a checksum so none of it can be skipped."""
    from services.reports.app.submit import submitted_event
    from services.reports.domain.report import new_report
    from services.reports.handlers.http import SubmitReportRequest
    from shared.events.envelope import encode
    from shared.kafka.partition import partition_for

    check = 0
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    for i in range(n):
        body = SubmitReportRequest.model_validate_json(_BODY)
        report = new_report(
            reporter_id=f"w-{i % 200}", kind=body.kind, category=body.category,
            lon=body.location.lon, lat=body.location.lat, now=now, description=body.description,
        )
        message = encode(submitted_event(report), source="/nuanxin/yardstick")
        check += partition_for(message.key, _PARTITIONS)
        check += len(json.dumps({"name": "report.submitted", "attributes": {"id": message.event_id}}))
    return check


def measure(seconds: float = 1.5, chunk: int = 200) -> dict:
    """Events per second of the work above: the median of chunks timed for about ``seconds``."""
    _one_round(chunk)  # imports and first-call costs out of the timing
    rates: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        t0 = time.perf_counter()
        _one_round(chunk)
        rates.append(chunk / (time.perf_counter() - t0))
    return {
        "events_per_s": round(statistics.median(rates)),
        "min_per_s": round(min(rates)),
        "max_per_s": round(max(rates)),
        "chunks": len(rates),
    }


def measure_apart(seconds: float = 1.5) -> dict | None:
    """``measure`` in a fresh interpreter (none of the harness's threads or garbage); None if it failed."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.yardstick", str(seconds)],
            capture_output=True, text=True, timeout=60 + seconds, check=True,
        )
        return json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


if __name__ == "__main__":
    print(json.dumps(measure(float(sys.argv[1]) if len(sys.argv) > 1 else 1.5)))
