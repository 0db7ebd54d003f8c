"""A lean span: what it records, and the SDK ``ReadableSpan`` it becomes when it ends."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping, Sequence
from time import time_ns
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode
from opentelemetry.util import types

if TYPE_CHECKING:
    from shared.telemetry.lean.tracer import LeanTracer

log = logging.getLogger(__name__)

PLAIN = (str, bool, int, float)
"""Attribute value types stored as given; anything else is cleaned by the SDK's rules."""
_UNSET = Status(StatusCode.UNSET)


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
        if type(value) not in PLAIN or type(key) is not str or not key:
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
