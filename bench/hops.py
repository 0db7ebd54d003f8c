"""Where a report's end-to-end time goes, hop by hop, read from the services' own spans.

Each service writes its spans to ``spans-<pid>.jsonl`` (shared/telemetry/file_exporter.py). A
report's trace holds the intake's ``POST /reports`` span, routing's span for its
``report.submitted`` event and notify's span for the ``case.opened`` that followed (or the
``case.joined``, when the report joined an open case: "me too"); with the
time the load client scheduled the request, the time the request got one of the client's
connections and the time the dashboard stream showed it, they cut its end-to-end latency into
consecutive hops that add up to it exactly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from itertools import pairwise
from pathlib import Path

from bench.load import pct

HOPS = (
    ("for a connection", "the load client waits for one of its connections (at most 256) to be free"),
    ("to intake", "the request on its way until the server's event loop takes it"),
    ("intake", "the POST: token, validation, the report and its outbox row in a group commit"),
    ("to routing", "reports' relay, the broker, routing's fetch and its previous batch, its inbox"),
    ("routing", "routing's batch: locate, open or join cases, deadlines, history, outbox"),
    ("to notify", "routing's commit and relay, the broker, notify's fetch and previous batch, inbox"),
    ("notify", "notify's batch: recipients, notifications, the feed"),
    ("to the dashboard", "notify's commit, the stream's read of the feed and its write, the reader"),
)
POST = "POST /reports"
ROUTED = "routing apply nuanxin.report.submitted"
# A report opens a case or joins an open one ("me too"); either event reaches the feed.
NOTIFIED = ("notify apply nuanxin.case.opened", "notify apply nuanxin.case.joined")


def wall_minus_monotonic_ns() -> int:
    """What to add to a monotonic time (ns) of this machine to get wall-clock ns, as spans use."""
    return time.time_ns() - time.monotonic_ns()


class SpanTail:
    """The span files of a folder, read on from where the last read stopped."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._offsets: dict[Path, int] = {}

    def read_new(self) -> Iterator[dict]:
        """Spans written since the last call; a line still being written waits for the next."""
        for path in sorted(self.directory.glob("spans-*.jsonl")):
            start = self._offsets.get(path, 0)
            with path.open("rb") as f:
                f.seek(start)
                data = f.read()
            whole = data.rfind(b"\n") + 1
            self._offsets[path] = start + whole
            for line in data[:whole].splitlines():
                try:
                    yield json.loads(line)
                except ValueError:
                    continue  # a line cut by a crash


class Journeys:
    """The spans of the three hops, keyed for joining: report id to trace, trace to its spans."""

    def __init__(self) -> None:
        self.trace_of: dict[str, str] = {}
        self.posts: dict[str, tuple[int, int]] = {}
        self.routed: dict[str, tuple[int, int]] = {}
        self.notified: dict[str, tuple[int, int]] = {}

    def add(self, spans: Iterable[dict]) -> None:
        """Keep the spans of the hops; others are skipped."""
        for s in spans:
            name, trace = s.get("name", ""), s.get("trace_id")
            times = (s.get("start_ns"), s.get("end_ns"))
            if name == POST:
                report_id = s.get("attributes", {}).get("nuanxin.report_id")
                if report_id:
                    self.trace_of[report_id] = trace
                    self.posts[trace] = times
            elif name.startswith(ROUTED):
                self.routed[trace] = times
            elif name.startswith(NOTIFIED):
                self.notified[trace] = times

    def cut(
        self,
        sched: Mapping[str, float],
        connected: Mapping[str, float],
        seen: Mapping[str, float],
        offset_ns: int,
    ) -> list[list[float]]:
        """For each report with all three spans: its hops in ms, in the order of HOPS.

        ``sched``, ``connected`` and ``seen`` are the load client's and the harness's monotonic
        seconds by report id: when it was due, when its request got a connection, when the stream
        showed it.
        """
        rows = []
        for rid, due in sched.items():
            trace = self.trace_of.get(rid)
            shown = seen.get(rid)
            if trace is None or shown is None:
                continue
            post, routed, notified = self.posts.get(trace), self.routed.get(trace), self.notified.get(trace)
            if routed is None or notified is None:
                continue
            marks = (
                due * 1e9 + offset_ns,
                connected.get(rid, due) * 1e9 + offset_ns,
                *post,
                *routed,
                *notified,
                shown * 1e9 + offset_ns,
            )
            rows.append([(b - a) / 1e6 for a, b in pairwise(marks)])
        return rows


def summarize(rows: list[list[float]]) -> dict | None:
    """p50 and p99 of each hop, and what the slowest 1 % of reports spent in each (mean)."""
    if not rows:
        return None
    totals = [sum(r) for r in rows]
    tail = sorted(rows, key=sum)[-max(1, round(len(rows) / 100)) :]
    return {
        "n": len(rows),
        "total_p50_ms": pct(totals, 50),
        "total_p99_ms": pct(totals, 99),
        "hops": [
            {
                "hop": name,
                "p50_ms": pct([r[i] for r in rows], 50),
                "p99_ms": pct([r[i] for r in rows], 99),
                "tail_mean_ms": sum(r[i] for r in tail) / len(tail),
            }
            for i, (name, _) in enumerate(HOPS)
        ],
    }
