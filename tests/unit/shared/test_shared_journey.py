"""A report's journey: spans written by the JSON-lines exporter, found by report id, rendered as a tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status, StatusCode

from shared.telemetry.file_exporter import JsonLinesSpanExporter, span_record
from shared.telemetry.journey import journey, read_spans, render_tree

REPORT_ID = "3f1c2a9e-5b7d-4e21-9c0a-7d2e4b6f8a01"


def _tracer(trace_dir: Path, service: str = "nuanxin-reports"):
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(trace_dir)))
    return provider.get_tracer("test")


@pytest.fixture
def recorded(tmp_path: Path) -> dict[str, str]:
    """One report's trace (parent and child) and an unrelated trace, written to tmp_path."""
    tracer = _tracer(tmp_path)
    with tracer.start_as_current_span("POST /reports", attributes={"nuanxin.report_id": REPORT_ID}) as p:
        with tracer.start_as_current_span("reports store report") as child:
            child.set_attribute("db.system", "postgresql")
    with tracer.start_as_current_span("GET /health", attributes={"nuanxin.report_id": "other"}) as u:
        u.set_status(Status(StatusCode.ERROR))
    return {
        "trace_id": format(p.get_span_context().trace_id, "032x"),
        "parent_id": format(p.get_span_context().span_id, "016x"),
        "child_id": format(child.get_span_context().span_id, "016x"),
        "unrelated_trace_id": format(u.get_span_context().trace_id, "032x"),
    }


def test_exporter_writes_one_json_line_per_span(tmp_path, recorded):
    (path,) = tmp_path.glob("spans-*.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    child = json.loads(lines[0])  # children end, and are exported, first
    assert child["span_id"] == recorded["child_id"]
    assert child["parent_id"] == recorded["parent_id"]
    assert child["service"] == "nuanxin-reports"
    assert child["attributes"] == {"db.system": "postgresql"}
    assert child["end_ns"] >= child["start_ns"]


def test_journey_finds_the_reports_trace_and_nothing_else(tmp_path, recorded):
    found = journey(tmp_path, REPORT_ID)

    assert list(found) == [recorded["trace_id"]]
    span_ids = {s["span_id"] for s in found[recorded["trace_id"]]}
    assert span_ids == {recorded["parent_id"], recorded["child_id"]}
    assert recorded["unrelated_trace_id"] not in found


def test_journey_of_an_unknown_report_is_empty(tmp_path, recorded):
    assert journey(tmp_path, "no-such-report") == {}


def test_render_tree_indents_the_child_under_its_parent(tmp_path, recorded):
    spans = journey(tmp_path, REPORT_ID)[recorded["trace_id"]]

    lines = render_tree(spans)

    assert len(lines) == 2
    parent_line, child_line = lines
    assert parent_line.startswith("nuanxin-reports")
    assert "POST /reports" in parent_line
    assert child_line.startswith("  nuanxin-reports")
    assert "reports store report" in child_line
    assert "+     0.0 ms" in parent_line
    assert "[error]" not in parent_line + child_line


def test_render_tree_flags_error_spans(tmp_path, recorded):
    lines = render_tree(journey(tmp_path, "other")[recorded["unrelated_trace_id"]])
    assert len(lines) == 1
    assert lines[0].endswith("[error]")


def test_render_tree_of_nothing_is_empty():
    assert render_tree([]) == []


def test_child_whose_parent_is_missing_is_rendered_as_a_root(tmp_path, recorded):
    spans = journey(tmp_path, REPORT_ID)[recorded["trace_id"]]
    only_child = [s for s in spans if s["span_id"] == recorded["child_id"]]
    (line,) = render_tree(only_child)
    assert line.startswith("nuanxin-reports")


def test_spans_of_several_processes_are_joined(tmp_path, recorded):
    # Another process (another file) continued the same trace.
    (path,) = tmp_path.glob("spans-*.jsonl")
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    record.update(span_id="00000000000000aa", parent_id=recorded["child_id"], service="nuanxin-routing",
                  name="routing apply", attributes={})
    (tmp_path / "spans-other-process.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")

    spans = journey(tmp_path, REPORT_ID)[recorded["trace_id"]]
    lines = render_tree(spans)

    assert len(lines) == 3
    assert lines[2].startswith("    nuanxin-routing")


def test_truncated_last_line_is_skipped(tmp_path, recorded):
    (path,) = tmp_path.glob("spans-*.jsonl")
    with path.open("a", encoding="utf-8") as out:
        out.write('{"trace_id": "' + recorded["trace_id"] + '", "span_id": "00000000')

    assert len(read_spans(tmp_path)) == 3
    assert len(journey(tmp_path, REPORT_ID)[recorded["trace_id"]]) == 2


def test_last_line_cut_inside_a_multibyte_character_is_skipped(tmp_path, recorded):
    (path,) = tmp_path.glob("spans-*.jsonl")
    cut = '{"trace_id": "x", "name": "上报 消防通道堵塞'.encode()[:-1]
    with path.open("ab") as out:
        out.write(cut)

    assert len(journey(tmp_path, REPORT_ID)[recorded["trace_id"]]) == 2


def test_exported_lines_read_back_as_span_records(tmp_path):
    """The exporter writes its lines by hand; each must parse to exactly what span_record says."""
    provider = TracerProvider(resource=Resource.create({"service.name": 'nuanxin-"報告"\\n'}))
    kept: list = []

    class Keep(SpanExporter):
        def export(self, spans):
            kept.extend(spans)
            return SpanExportResult.SUCCESS

    provider.add_span_processor(SimpleSpanProcessor(Keep()))
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(tmp_path)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("POST /reports") as root:
        with tracer.start_as_current_span(
            'apply "quoted" 名字\t\\ \u2028',
            attributes={"s": "引号\"", "i": 7, "f": 0.5, "b": False, "seq": ("a", "b"), "empty": ""},
            links=[Link(root.get_span_context())],
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "broken"))
    with tracer.start_as_current_span("no attributes"):
        pass

    read = read_spans(tmp_path)
    assert read == [span_record(s) for s in kept]
    assert len(read) == 3
    assert read[0]["links"] == [format(root.get_span_context().trace_id, "032x")]
    assert "seq" not in read[0]["attributes"]
