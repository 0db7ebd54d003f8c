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

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from time import time_ns
from types import MappingProxyType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util import types

log = logging.getLogger(__name__)

_PLAIN = (str, bool, int, float)
_UNSET = Status(StatusCode.UNSET)
_FLAGS = {bits: TraceFlags(bits) for bits in range(4)}  # sampled (1) and random trace id (2)


class LeanSpan(trace.Span):
    """A recording span that becomes an SDK ``ReadableSpan`` when it ends."""

    __slots__ = (
        "_attributes",
        "_context",
        "_dropped",
        "_end",
        "_events",
        "_kind",
        "_name",
        "_on_error",
        "_parent",
        "_start",
        "_status",
        "_tracer",
    )

    def __init__(
        self,
        tracer: LeanTracer,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        start_time: int,
        on_error: tuple[bool, bool] = (True, True),
        dropped: int = 0,
    ) -> None:
        self._tracer = tracer
        self._on_error = on_error  # record_exception, set_status_on_exception
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._attributes = attributes
        self._dropped = dropped  # attributes refused or evicted, counted as the SDK counts them
        self._events: list[Event] = []
        self._status = _UNSET
        self._start = start_time
        self._end: int | None = None

    @property
    def name(self) -> str:
        """The span's name."""
        return self._name

    @property
    def parent(self) -> SpanContext | None:
        """The parent's context, if the span has one."""
        return self._parent

    @property
    def attributes(self) -> Mapping[str, Any]:
        """The attributes set so far (read-only, as the SDK's)."""
        return MappingProxyType(self._attributes)

    def get_span_context(self) -> SpanContext:
        """The span's own context (trace id, span id, flags)."""
        return self._context

    def is_recording(self) -> bool:
        """True until the span ends."""
        return self._end is None

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        """Set one attribute (ignored once the span has ended, as the SDK does)."""
        if self._end is not None:
            log.warning("Setting attribute on ended span.")
            return
        if type(value) not in _PLAIN or type(key) is not str or not key:
            # Cleaned now, as the SDK does on set: a bad key or value is dropped with a warning,
            # a sequence copied to a tuple (so later changes to it are not exported).
            cleaned = BoundedAttributes(
                None, immutable=False, max_value_len=self._tracer.limits.max_span_attribute_length
            )
            cleaned[key] = value
            if key not in cleaned:
                self._dropped += cleaned.dropped or 1
                return
            value = cleaned[key]
        attributes = self._attributes
        if key in attributes:
            del attributes[key]  # the SDK re-inserts: the latest value is the newest attribute
        else:
            limit = self._tracer.limits.max_span_attributes
            if limit is not None and len(attributes) >= limit:  # the SDK drops the oldest
                if not limit:
                    self._dropped += 1
                    return
                del attributes[next(iter(attributes))]
                self._dropped += 1
        attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        """Set several attributes."""
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_event(
        self, name: str, attributes: types.Attributes = None, timestamp: int | None = None
    ) -> None:
        """Record an event, its attributes cleaned and bounded as the SDK's are."""
        if self._end is not None:
            log.warning("Calling add_event on an ended span.")
            return
        limits = self._tracer.limits
        self._events.append(
            Event(
                name=name,
                attributes=BoundedAttributes(
                    limits.max_event_attributes, attributes,
                    max_value_len=limits.max_attribute_length, immutable=True,
                ),
                timestamp=timestamp,
            )
        )

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        """Links are given when a span starts here; a later one is dropped with a warning."""
        log.warning("lean spans take no links after they start; link to %s dropped", context)

    def update_name(self, name: str) -> None:
        """Rename the span."""
        if self._end is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """As the SDK: OK is final, UNSET is ignored, a description goes with a StatusCode only."""
        if self._status.status_code is StatusCode.OK:
            return
        if isinstance(status, Status):
            if status.status_code is StatusCode.UNSET:
                return
            if description is not None:
                log.warning(
                    "Description %s ignored. Use either `Status` or `(StatusCode, Description)`", description
                )
            self._status = status
        elif status is not StatusCode.UNSET:
            self._status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        """An ``exception`` event with the attributes the SDK gives it."""
        module = type(exception).__module__
        qualname = type(exception).__qualname__
        event: dict[str, types.AttributeValue] = {
            "exception.type": f"{module}.{qualname}" if module and module != "builtins" else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        if attributes:
            event.update(attributes)
        self.add_event("exception", event, timestamp)

    def __exit__(self, exc_type: Any, exc_val: BaseException | None, exc_tb: Any) -> None:
        """``with tracer.start_span(...) as span:`` ends it, recording an escaping error as the SDK."""
        if exc_val is not None and self._end is None:
            record, set_status = self._on_error
            if record:
                self.record_exception(exc_val, escaped=True)
            if set_status:
                self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    def end(self, end_time: int | None = None) -> None:
        """Hand the finished span to the tracer's span processors (once)."""
        if self._end is not None:
            log.warning("Calling end() on an ended span.")
            return
        self._end = end_time if end_time is not None else time_ns()
        self._tracer.finish(self)

    def readable(self) -> ReadableSpan:
        """The span as the SDK's processors and exporters take it."""
        tracer = self._tracer
        limits = tracer.limits
        attributes: Mapping[str, Any] = self._attributes
        if self._dropped or limits.max_span_attribute_length is not None:
            bounded = BoundedAttributes(
                limits.max_span_attributes, attributes,
                max_value_len=limits.max_span_attribute_length, immutable=True,
            )
            bounded.dropped += self._dropped
            attributes = bounded
        events: Sequence[Event] = self._events
        if events:
            events = BoundedList.from_seq(limits.max_events, events)  # the latest, and a drop count
        return ReadableSpan(
            self._name,
            self._context,
            self._parent,
            tracer.sdk.resource,  # type: ignore[attr-defined]
            attributes,
            events,
            (),
            self._kind,
            None,
            self._status,
            self._start,
            self._end,
            tracer.scope,
        )


class LeanTracer(trace.Tracer):
    """A tracer for hot paths, over an SDK tracer whose sampler, ids and processors it uses."""

    def __init__(self, sdk: trace.Tracer) -> None:
        self._sdk = sdk
        self._lean = isinstance(sdk, SdkTracer)
        if isinstance(sdk, SdkTracer):
            self.scope = sdk._instrumentation_scope  # exported with each span
            self._sampler = sdk.sampler
            self._ids = sdk.id_generator
            self._random_ids = sdk.id_generator.is_trace_id_random()
            self._processor = sdk.span_processor
        # Read from the environment, as the SDK's default limits are.
        self.limits = SpanLimits()

    @property
    def sdk(self) -> trace.Tracer:
        """The SDK tracer underneath."""
        return self._sdk

    def start_span(
        self,
        name: str,
        context: otel_context.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        """A span under ``context``'s span (the current one if None), sampled as the SDK would."""
        if not self._lean or links:
            return self._sdk.start_span(
                name, context, kind, attributes, links, start_time, record_exception,
                set_status_on_exception,
            )
        parent = trace.get_current_span(context).get_span_context()
        if parent.is_valid:
            trace_id = parent.trace_id
        else:
            parent = None
            trace_id = self._ids.generate_trace_id()
        sampled = self._sampler.should_sample(context, trace_id, name, kind, attributes, ())
        decision = sampled.decision
        flags = TraceFlags.SAMPLED if decision.is_sampled() else TraceFlags.DEFAULT
        if parent.trace_flags.random_trace_id if parent is not None else self._random_ids:
            flags |= TraceFlags.RANDOM_TRACE_ID
        span_context = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=_FLAGS[flags],
            trace_state=sampled.trace_state,
        )
        if not decision.is_recording():
            return trace.NonRecordingSpan(span_context)
        given = sampled.attributes
        values = dict(given) if given else {}
        dropped = 0
        limits = self.limits
        if (limits.max_span_attributes is not None and len(values) > limits.max_span_attributes) or any(
            type(v) not in _PLAIN or type(k) is not str or not k for k, v in values.items()
        ):
            # Cleaned, bounded and copied as the SDK's span does when it starts.
            bounded = BoundedAttributes(
                limits.max_span_attributes, values, max_value_len=limits.max_span_attribute_length
            )
            values, dropped = dict(bounded), bounded.dropped
        span = LeanSpan(
            self, name, span_context, parent, kind, values,
            start_time if start_time is not None else time_ns(),
            (record_exception, set_status_on_exception),
            dropped,
        )
        self._processor.on_start(span, parent_context=context)  # type: ignore[arg-type]
        return span

    def finish(self, span: LeanSpan) -> None:
        """An ended span to the processors."""
        self._processor.on_end(span.readable())

    @contextmanager
    def start_as_current_span(
        self,
        name: str,
        context: otel_context.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[trace.Span]:
        """``start_span`` made current for the block, as the SDK tracer does it."""
        span = self.start_span(
            name, context, kind, attributes, links, start_time, record_exception,
            set_status_on_exception,
        )
        with trace.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current
