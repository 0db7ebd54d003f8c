"""CloudEvents 1.0 in Kafka binary mode: ``ce_*`` headers, JSON body, ``content-type``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

import shared.events.catalogue  # noqa: F401  (registers every event type)
from shared.events.base import EventBody, body_class
from shared.telemetry.propagation import current_trace_headers

CONTENT_TYPE = "application/json"


class PoisonMessage(Exception):
    """A message that can never be processed: not a CloudEvent, unknown type or invalid body."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One Kafka record ready to publish."""

    topic: str
    key: bytes
    headers: dict[str, bytes]
    value: bytes
    event_id: str


@dataclass(frozen=True)
class IncomingEvent:
    """A decoded event with its envelope attributes and its Kafka coordinates."""

    id: str
    type: str
    source: str
    time: datetime | None
    body: EventBody
    headers: dict[str, bytes] = field(repr=False)
    topic: str = ""
    partition: int = -1
    offset: int = -1


def encode(body: EventBody, *, source: str, event_id: str | None = None) -> OutgoingMessage:
    """Wrap a body as a binary-mode CloudEvent record keyed by its aggregate id, with trace context."""
    key = body.partition_key()
    event = CloudEvent(
        attributes={
            "id": event_id or str(uuid.uuid4()),
            "source": source,
            "type": body.event_type,
            "time": datetime.now(UTC),
            "datacontenttype": CONTENT_TYPE,
            "subject": key,
        },
        data=body.model_dump(mode="json"),
    )
    message = ce_kafka.to_binary_event(event, key_mapper=lambda _e: key)
    # The trace continues from whatever span wrapped the change (request or consumed event).
    headers = {**message.headers, **current_trace_headers()}
    return OutgoingMessage(
        topic=body.topic,
        key=key.encode(),
        headers=headers,
        value=message.value,
        event_id=event.get_id(),
    )


def decode(
    headers: Iterable[tuple[str, bytes]],
    value: bytes | None,
    *,
    key: bytes | None = None,
    topic: str = "",
    partition: int = -1,
    offset: int = -1,
) -> IncomingEvent:
    """Parse a binary-mode record into a typed event, or raise PoisonMessage saying why."""
    header_map = {name: raw for name, raw in headers}
    if "ce_type" not in header_map or "ce_id" not in header_map:
        raise PoisonMessage("not a CloudEvent: ce_id and ce_type headers are required")
    if header_map.get("ce_specversion") != b"1.0":
        raise PoisonMessage("only CloudEvents 1.0 is accepted: ce_specversion must be 1.0")
    if value is None:
        raise PoisonMessage("empty message value")
    try:
        event = ce_kafka.from_binary_event(
            ce_kafka.KafkaMessage(headers=header_map, key=key, value=value)
        )
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"unreadable CloudEvent: {exc}") from exc
    except Exception as exc:  # the SDK raises its own error types for missing attributes
        raise PoisonMessage(f"invalid CloudEvent: {exc}") from exc
    cls = body_class(event.get_type())
    if cls is None:
        raise PoisonMessage(f"unknown event type {event.get_type()!r}")
    data = event.get_data()
    if not isinstance(data, dict):
        raise PoisonMessage("event data is not a JSON object")
    try:
        body = cls.model_validate(data)
    except ValidationError as exc:
        raise PoisonMessage(f"{cls.event_type} body invalid: {exc.errors(include_url=False)}") from exc
    return IncomingEvent(
        id=event.get_id(),
        type=event.get_type(),
        source=event.get_source(),
        time=event.get_time(),
        body=body,
        headers=header_map,
        topic=topic,
        partition=partition,
        offset=offset,
    )
