"""Lean spans: the SDK's sampling, ids and span processors, without its per-span bookkeeping.

Every report makes a server span at intake and a consumer span in routing and in notify. The
SDK's ``Tracer.start_span`` builds a span with a lock, bounded attribute and event containers
that check every value, and a copy of itself at ``end()``: about 30 µs of CPU per span with its
export, an eighth of what intake spends on a report. A ``LeanTracer`` makes spans that keep the
same things (name, ids, parent, kind, attributes, events, status, times, resource, scope), asks
the SDK tracer's own sampler and id generator, and hands an SDK ``ReadableSpan`` to the same
span processors at ``end()``; exporters (JSON lines, OTLP) see no difference. What differs:

- plain attribute values (str, bool, int, float) under text keys are stored as given; any other
  key or value goes through the SDK's ``BoundedAttributes`` when set, and a configured limit
  (``OTEL_SPAN_ATTRIBUTE_*``) is applied by it at ``end()``, so the exported attributes are the
  same;
- ``start_as_current_span`` is a context manager, not a decorator for coroutines;
- a span is not thread-safe (it lives on one event loop, as every span here does);
- span processors get ``on_start`` and ``on_end``, not the SDK's private ``_on_ending``.

If the SDK gives a non-recording tracer (``OTEL_SDK_DISABLED``), its spans are used as they are.
"""

from shared.telemetry.lean.span import LeanSpan
from shared.telemetry.lean.tracer import LeanTracer

__all__ = ["LeanSpan", "LeanTracer"]
