"""One report's journey: the spans of its trace(s) from local span files, printed as a tree."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


def read_spans(trace_dir: Path) -> list[dict]:
    """Every span recorded in the folder's JSON-lines files."""
    spans = []
    for path in sorted(trace_dir.glob("spans-*.jsonl")):
        # A crash mid-write can cut a multi-byte character: replace it, then the JSON check skips it.
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                line = line.strip()
                if line:
                    try:
                        spans.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue  # a line cut short by a crash
    return spans


def traces_of_report(spans: Iterable[dict], report_id: str) -> set[str]:
    """Trace ids whose spans mention the report id in an attribute."""
    return {
        s["trace_id"] for s in spans
        if any(str(v) == report_id for v in s.get("attributes", {}).values())
    }


def render_tree(spans: list[dict]) -> list[str]:
    """Lines of an indented tree: service, span name, offset from the trace start and duration."""
    if not spans:
        return []
    by_id = {s["span_id"]: s for s in spans}
    children: dict[str | None, list[dict]] = defaultdict(list)
    for s in spans:
        parent = s["parent_id"] if s["parent_id"] in by_id else None
        children[parent].append(s)
    t0 = min(s["start_ns"] for s in spans)
    lines: list[str] = []

    def walk(span: dict, depth: int) -> None:
        start_ms = (span["start_ns"] - t0) / 1e6
        dur_ms = (span["end_ns"] - span["start_ns"]) / 1e6
        flag = "" if span["status"] != "ERROR" else "  [error]"
        lines.append(
            f"{'  ' * depth}{span['service']:<16} {span['name']:<48} "
            f"+{start_ms:8.1f} ms  {dur_ms:8.1f} ms{flag}"
        )
        for child in sorted(children[span["span_id"]], key=lambda c: c["start_ns"]):
            walk(child, depth + 1)

    for root in sorted(children[None], key=lambda c: c["start_ns"]):
        walk(root, 0)
    return lines


def journey(trace_dir: Path, report_id: str) -> dict[str, list[dict]]:
    """The spans of every trace that touched the report, by trace id."""
    spans = read_spans(trace_dir)
    wanted = traces_of_report(spans, report_id)
    out: dict[str, list[dict]] = defaultdict(list)
    for s in spans:
        if s["trace_id"] in wanted:
            out[s["trace_id"]].append(s)
    return dict(out)
