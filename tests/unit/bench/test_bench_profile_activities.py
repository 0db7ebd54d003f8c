"""py-spy samples sorted into what the service was doing, the shares the report's bounds quote."""

from __future__ import annotations

import pytest

from bench.profile import LOOP, TRACING, activity, summarize

SERVE = (
    "_run_module_as_main (<frozen runpy>:198);run (nuanxin/cli.py:73);_serve (nuanxin/cli.py:62);"
    "Runner.run (asyncio/runners.py:118)"
)


def _stack(*frames: str) -> list[str]:
    return [*SERVE.split(";"), *frames]


def test_a_stack_is_the_first_activity_any_of_its_frames_names():
    request = _stack(
        "RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:422)",
        "SubmitReport.__call__ (services/reports/app/submit.py:120)",
        "encode (shared/events/envelope.py:104)",
    )
    batch = _stack(
        "LogicSubscriber.consume_one (faststream/kafka/subscriber/usecase.py:379)",
        "EventConsumer.process (shared/kafka/consumer.py:98)",
        "Connection._do_execute (asyncpg/connection.py:2066)",
    )
    around = _stack("LogicSubscriber.consume_one (faststream/kafka/subscriber/usecase.py:379)")
    fetch = _stack("Fetcher._proc_fetch_request (aiokafka/consumer/fetcher.py:700)")
    export = [
        "Thread._bootstrap (threading.py:1002)",
        "BatchProcessor.worker (_shared_internal/__init__.py:9)",
    ]

    assert activity(request) == "HTTP requests"
    assert activity(batch) == "consumer: a batch's statements and logic"
    assert activity(around) == "consumer: faststream around it"
    assert activity(fetch) == "Kafka client (fetch, produce, commit)"
    assert activity(export) == TRACING
    assert activity(_stack()) == LOOP, "only the loop on the stack: its own native work"
    assert activity(_stack("mystery (somewhere.py:1)")) == "other"


def test_tracing_is_the_time_spent_in_tracing_code_not_all_the_work_under_a_span():
    under_span = (
        "ServerSpanMiddleware.__call__ (shared/http/tracing.py:59)",
        "LeanRoute.handle (shared/http/lean.py:61)",
    )
    handler = _stack(*under_span, "SubmitReport.__call__ (services/reports/app/submit.py:120)")
    middleware_own = _stack("ServerSpanMiddleware.__call__ (shared/http/tracing.py:45)")
    span_end = _stack(*under_span, "LeanSpan.end (shared/telemetry/lean/span.py:208)")
    headers = _stack(
        *under_span, "encode (shared/events/envelope.py:97)",
        "current_trace_headers (shared/telemetry/propagation.py:61)",
    )
    context = _stack(*under_span, "ContextVarsRuntimeContext.attach (context/contextvars_context.py:40)")

    assert activity(handler) == "HTTP requests", "the request's own work, though inside its span"
    assert activity(middleware_own) == TRACING
    assert activity(span_end) == TRACING
    assert activity(headers) == TRACING
    assert activity(context) == TRACING


@pytest.mark.parametrize(
    "tracing_frame",
    [
        "JsonLinesSpanExporter.export (shared/telemetry/file_exporter.py:95)",
        "BatchProcessor.worker (_shared_internal/__init__.py:162)",
        "DuplicateFilter.filter (_shared_internal/__init__.py:40)",
        "LeanTracer.start_span (shared/telemetry/lean/tracer.py:70)",
        "LeanSpan.readable (shared/telemetry/lean/span.py:216)",
        "current_trace_headers (shared/telemetry/propagation.py:61)",
        "extract_from_headers (shared/telemetry/propagation.py:40)",
        "Tracer.start_span (trace/__init__.py:1100)",
        "attach (context/__init__.py:150)",
    ],
)
def test_a_stack_running_tracing_code_below_other_code_is_tracing(tracing_frame):
    # The innermost frame is not tracing's own file, so the frame above it decides.
    stack = _stack(
        "ServerSpanMiddleware.__call__ (shared/http/tracing.py:59)", tracing_frame,
        "Random.getrandbits (random.py:1)",
    )
    assert activity(stack) == TRACING


def test_a_truncated_request_stack_still_counts_as_http():
    # py-spy sometimes shows a resumed task from partway down, without uvicorn's protocol frames.
    assert activity(_stack("Router.__call__ (starlette/routing.py:683)")) == "HTTP requests"


def test_summarize_shares_busy_samples_by_activity(tmp_path):
    raw = tmp_path / "svc.pyspy"
    lines = {
        ";".join(_stack("RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:422)")): 6,
        ";".join(_stack("OutboxRelay.run (shared/postgres/outbox.py:90)")): 3,
        ";".join(_stack()): 1,
        # Waiting in epoll: idle, not counted in any share.
        ";".join(_stack("select (selectors.py:468)")): 90,
    }
    raw.write_text("".join(f"{stack} {n}\n" for stack, n in lines.items()))

    s = summarize(raw)

    assert (s["samples"], s["busy_samples"]) == (100, 10)
    assert s["activities"] == [("HTTP requests", 0.6), ("outbox relay", 0.3), (LOOP, 0.1)]


def test_raw_stacks_with_their_real_paths_are_sorted_as_shortened_frames(tmp_path):
    venv = "/repo/.venv/lib/python3.11/site-packages"
    routing = ";".join(_stack(
        f"LogicSubscriber.consume_one ({venv}/faststream/kafka/subscriber/usecase.py:379)",
        "RouteReport.many (/repo/services/routing/app/route_report.py:140)",
    ))
    fetch = ";".join(_stack(f"Fetcher._proc_fetch_request ({venv}/aiokafka/consumer/fetcher.py:700)"))
    endpoint = ";".join(_stack("get_report (/repo/services/reports/handlers/http.py:180)"))
    span = ";".join(_stack(
        "get_report (/repo/services/reports/handlers/http.py:180)",
        f"Span.set_attribute ({venv}/opentelemetry/sdk/trace/__init__.py:900)",
        "Random.getrandbits (/usr/lib/python3.11/random.py:1)",
    ))
    raw = tmp_path / "svc.pyspy"
    raw.write_text(f"{routing} 5\n{fetch} 3\n{endpoint} 1\n{span} 1\n")

    assert summarize(raw)["activities"] == [
        ("consumer: a batch's statements and logic", 0.5),
        ("Kafka client (fetch, produce, commit)", 0.3),
        ("HTTP requests", 0.1),
        (TRACING, 0.1),
    ]


def test_each_profiled_load_says_how_often_it_was_sampled_and_what_the_samplers_took():
    from bench.report.profiles import profile_section

    row = {
        "accepted_per_s": 942.0, "throughput_per_s": 884.0, "p99_ms": 2063.0, "cpu_cores": {"others": 0.18},
    }
    services = {
        "routing": {"samples": 240, "busy_samples": 237, "self": [], "inclusive": [], "packages": [],
                    "activities": [("consumer: a batch's statements and logic", 0.55), (LOOP, 0.14)]},
        "notify": {"samples": 190, "busy_samples": 183, "self": [], "inclusive": [], "packages": [],
                   "activities": [(LOOP, 0.26)]},
    }
    profile = {"rate": 1000.0, "hz": 50, "pipeline_during_profile": row, "services": services}
    lines = profile_section([profile])

    assert "### At 1,000 reports/s offered" in lines
    assert (
        "Accepted 942/s, delivered 884/s, e2e p99 2,063 ms while sampling (50 samples a second); the "
        "samplers and anything else outside the stack took 0.18 cores." in lines
    )
    assert "| consumer: a batch's statements and logic | 55% | - |" in lines
    assert f"| {LOOP} | 14% | 26% |" in lines
