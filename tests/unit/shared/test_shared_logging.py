"""JSON log lines carry the current trace and span ids."""

from __future__ import annotations

import json
import logging
import sys

from opentelemetry.sdk.trace import TracerProvider

from shared.telemetry.logging import JsonFormatter


def _record(msg: str = "report %s stored", *args, **extra) -> logging.LogRecord:
    logger = logging.getLogger("nuanxin.test")
    return logger.makeRecord(logger.name, logging.WARNING, __file__, 1, msg, args or ("r-1",), None,
                             extra=extra or None)


def test_line_is_json_with_level_logger_and_formatted_message():
    line = json.loads(JsonFormatter().format(_record()))
    assert line["level"] == "WARNING"
    assert line["logger"] == "nuanxin.test"
    assert line["message"] == "report r-1 stored"
    assert line["time"].endswith("+00:00")


def test_inside_a_span_the_line_carries_its_trace_and_span_ids():
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("apply") as span:
        line = json.loads(JsonFormatter().format(_record()))
    ctx = span.get_span_context()
    assert line["trace_id"] == format(ctx.trace_id, "032x")
    assert line["span_id"] == format(ctx.span_id, "016x")
    assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16


def test_outside_a_span_there_are_no_trace_ids():
    line = json.loads(JsonFormatter().format(_record()))
    assert "trace_id" not in line
    assert "span_id" not in line


def test_extras_are_included_and_odd_values_stringified():
    line = json.loads(JsonFormatter().format(_record(service="reports", attempts=3, where=("a", 1))))
    assert line["service"] == "reports"
    assert line["attempts"] == 3
    assert line["where"] == "('a', 1)"
    assert "args" not in line and "msg" not in line


def test_exception_is_rendered_with_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        logger = logging.getLogger("nuanxin.test")
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exception"]


def test_non_ascii_message_is_kept_readable():
    text = JsonFormatter().format(_record("上报 %s", "消防通道"))
    assert "上报 消防通道" in text
