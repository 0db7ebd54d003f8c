"""The lean tracer: the SDK tracer's sampler, ids and processors, making lean spans."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from time import time_ns

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import SpanLimits
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.sampling import DEFAULT_ON
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags
from opentelemetry.util import types

from shared.telemetry.lean.span import PLAIN, LeanSpan

_FLAGS = {bits: TraceFlags(bits) for bits in range(4)}  # sampled (1) and random trace id (2)


class LeanTracer(trace.Tracer):
    """A tracer for hot paths, over an SDK tracer whose sampler, ids and processors it uses."""

    def __init__(self, sdk: trace.Tracer) -> None:
        self._sdk = sdk
        self._lean = isinstance(sdk, SdkTracer)
        if self._lean:
            self.scope = sdk._instrumentation_scope  # exported with each span
            self._sampler = sdk.sampler
            # The SDK's default sampler object (ParentBased(ALWAYS_ON): what an unset or a
            # parentbased_always_on OTEL_TRACES_SAMPLER gives) decided inline, as it decides: a
            # root span and a sampled parent's child are recorded and sampled, an unsampled
            # parent's child is neither; the parent's trace state carries on.
            self._default_on = sdk.sampler is DEFAULT_ON
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
        if self._default_on:
            recording = is_sampled = parent is None or parent.trace_flags.sampled
            trace_state = parent.trace_state if parent is not None else None
            given = attributes
        else:
            sampled = self._sampler.should_sample(context, trace_id, name, kind, attributes, ())
            decision, trace_state, given = sampled.decision, sampled.trace_state, sampled.attributes
            recording, is_sampled = decision.is_recording(), decision.is_sampled()
        flags = TraceFlags.SAMPLED if is_sampled else TraceFlags.DEFAULT
        if parent.trace_flags.random_trace_id if parent is not None else self._random_ids:
            flags |= TraceFlags.RANDOM_TRACE_ID
        span_context = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=_FLAGS[flags],
            trace_state=trace_state,
        )
        if not recording:
            return trace.NonRecordingSpan(span_context)
        values = dict(given) if given else {}
        dropped = 0
        limits = self.limits
        if (limits.max_span_attributes is not None and len(values) > limits.max_span_attributes) or any(
            type(v) not in PLAIN or type(k) is not str or not k for k, v in values.items()
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
