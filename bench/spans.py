"""What one span costs a service: `python -m bench.spans`.

Makes ``--spans`` spans as intake's server span is made (two attributes at start, made current,
two more attributes, ended) with the SDK's tracer and with the ``LeanTracer`` over it, each
exported by the services' own pipeline (``BatchSpanProcessor`` to the JSON-lines file exporter),
and prints the process CPU per span, export included, for each. No assertion: it measures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.telemetry.lean import LeanTracer
from shared.telemetry.propagation import extract_from_headers
from shared.telemetry.setup import create_tracer_provider


def _request_spans(tracer: trace.Tracer, n: int) -> None:
    no_parent = extract_from_headers({})
    for _ in range(n):
        span = tracer.start_span(
            "POST /reports",
            context=no_parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": "POST", "url.path": "/reports"},
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        span.set_attribute("http.response.status_code", 201)
        trace.get_current_span().set_attribute("nuanxin.report_id", "3f1c2a9e-5b7d-4c8e-9a10-2b3c4d5e6f70")
        otel_context.detach(token)
        span.end()


def measure(spans: int, rounds: int = 2) -> dict[str, float]:
    """CPU µs per span, export included, for the SDK's tracer and the lean one (best of rounds)."""
    with tempfile.TemporaryDirectory() as directory:
        provider = create_tracer_provider(
            "nuanxin-bench", otlp_endpoint=None, trace_dir=Path(directory)
        )
        sdk = provider.get_tracer("nuanxin.bench")
        tracers = {"sdk": sdk, "lean": LeanTracer(sdk)}
        best = dict.fromkeys(tracers, float("inf"))
        try:
            for _ in range(rounds):
                for name, tracer in tracers.items():
                    started = time.process_time()
                    _request_spans(tracer, spans)
                    provider.force_flush()
                    best[name] = min(best[name], (time.process_time() - started) / spans * 1e6)
        finally:
            provider.shutdown()
    return best


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cost = measure(args.spans, args.rounds)
    print(f"CPU per span, export included ({args.spans:,} spans, best of {args.rounds}):")
    print(f"  SDK tracer : {cost['sdk']:5.1f} µs")
    print(f"  LeanTracer : {cost['lean']:5.1f} µs  ({cost['lean'] / cost['sdk']:.0%} of the SDK's)")


if __name__ == "__main__":
    main()
