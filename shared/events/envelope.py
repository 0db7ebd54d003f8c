"""CloudEvents 1.0 in Kafka binary mode: ``ce_*`` headers, JSON body, ``content-type``.

Written directly rather than through the ``cloudevents`` SDK: every event is encoded and decoded
several times on its way through the system, and the SDK's generic attribute handling cost ten
times the body's own serialisation. The wire format is the SDK's (``to_binary_event`` /
``from_binary_event``), which the unit tests keep as the reference both ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

import shared.events.catalogue  # noqa: F401  (registers every event type)
from shared.events.base import EventBody, body_class
from shared.ids import new_id
from shared.telemetry.propagation import current_trace_headers

CONTENT_TYPE = "application/json"
SPECVERSION = "1.0"

_CONTENT_TYPE_BYTES = CONTENT_TYPE.encode()
_SPECVERSION_BYTES = SPECVERSION.encode()
# What the SDK reads as JSON data; any other content type is not a JSON object to us.
_JSON_CONTENT_TYPE = re.compile(r"^(application|text)/([a-zA-Z0-9\-\.]+\+)?json(;.*)?$")
# The attributes CloudEvents 1.0 defines; any other ``ce_`` header is an extension attribute.
_CONTEXT_ATTRIBUTES = frozenset(
    ("id", "source", "type", "specversion", "datacontenttype", "dataschema", "subject", "time")
)
_EXTENSION_NAME = re.compile(r"[a-z0-9]+")
# Headers as producers write them, straight to their attribute (None: not an attribute). Other
# names take the general path: matched case-insensitively, as the SDK does.
_KNOWN_HEADERS: dict[str, str | None] = {
    "ce_id": "id",
    "ce_source": "source",
    "ce_type": "type",
    "ce_specversion": "specversion",
    "ce_time": "time",
    "ce_subject": "subject",
    "content-type": "datacontenttype",
    "traceparent": None,
    "tracestate": None,
}
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


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
    if not key or not source:
        raise ValueError(f"a CloudEvent needs a non-empty source and subject (got {source!r}, {key!r})")
    event_id = event_id or new_id()
    key_bytes = key.encode()
    headers = {
        "ce_id": event_id.encode(),
        "ce_source": source.encode(),
        "ce_type": body.event_type.encode(),
        "ce_time": _rfc3339(datetime.now(UTC)),
        "content-type": _CONTENT_TYPE_BYTES,
        "ce_subject": key_bytes,
        "ce_specversion": _SPECVERSION_BYTES,
        # The trace continues from whatever span wrapped the change (request or consumed event).
        **current_trace_headers(),
    }
    return OutgoingMessage(
        topic=body.topic,
        key=key_bytes,
        headers=headers,
        # model_dump_json() without its bytes -> str -> bytes round trip.
        value=body.__pydantic_serializer__.to_json(body),
        event_id=event_id,
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
    header_map = dict(headers)
    if "ce_type" not in header_map or "ce_id" not in header_map:
        raise PoisonMessage("not a CloudEvent: ce_id and ce_type headers are required")
    if header_map.get("ce_specversion") != _SPECVERSION_BYTES:
        raise PoisonMessage("only CloudEvents 1.0 is accepted: ce_specversion must be 1.0")
    if not value:
        raise PoisonMessage("empty message value")
    attributes = _attributes(header_map, key)
    time = _parse_time(attributes["time"]) if "time" in attributes else None
    event_type = attributes["type"]
    cls = body_class(event_type)
    if cls is None:
        raise PoisonMessage(f"unknown event type {event_type!r}")
    content_type = attributes.get("datacontenttype", CONTENT_TYPE)
    if content_type != CONTENT_TYPE and not _JSON_CONTENT_TYPE.match(content_type):
        raise PoisonMessage(f"event data is not a JSON object: content-type {content_type!r} is not JSON")
    try:
        body = cls.model_validate_json(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        if first["type"] == "json_invalid":
            raise PoisonMessage(f"event data is not a JSON object: unreadable JSON ({first['msg']})") from exc
        if first["type"] == "model_type" and not first["loc"]:
            kind = _JSON_KINDS.get(type(first["input"]), "null")
            raise PoisonMessage(f"event data is not a JSON object: it is {kind}") from exc
        raise PoisonMessage(f"{cls.event_type} body invalid: {errors}") from exc
    return IncomingEvent(
        id=attributes["id"],
        type=event_type,
        source=attributes["source"],
        time=time,
        body=body,
        headers=header_map,
        topic=topic,
        partition=partition,
        offset=offset,
    )


def _attributes(header_map: dict[str, bytes], key: bytes | None) -> dict[str, str]:
    """The context and extension attributes a record's headers carry, checked as CloudEvents 1.0 says."""
    attributes: dict[str, str] = {}
    for name, raw in header_map.items():
        attribute = _KNOWN_HEADERS[name] if name in _KNOWN_HEADERS else _attribute_name(name)
        if attribute is not None:
            try:
                attributes[attribute] = raw.decode()
            except (UnicodeDecodeError, AttributeError) as exc:
                raise PoisonMessage(f"unreadable CloudEvent: header {name!r} is not UTF-8 text") from exc
    if isinstance(key, bytes):
        # The binding's partitionkey extension: the record key, which must be text too.
        try:
            key.decode()
        except UnicodeDecodeError as exc:
            raise PoisonMessage("unreadable CloudEvent: the record key is not UTF-8 text") from exc
    for required in ("id", "source", "type"):
        if not attributes.get(required):
            raise PoisonMessage(f"invalid CloudEvent: required attribute {required} (ce_{required}) missing")
    if attributes["specversion"] != SPECVERSION:
        raise PoisonMessage("only CloudEvents 1.0 is accepted: ce_specversion must be 1.0")
    for optional in ("subject", "datacontenttype", "dataschema"):
        if attributes.get(optional) == "":
            raise PoisonMessage(f"invalid CloudEvent: attribute {optional} must not be empty")
    return attributes


def _attribute_name(header: str) -> str | None:
    """The attribute a header other than the usual ones carries, or None for a plain Kafka header."""
    lowered = header.lower()
    if lowered == "content-type":
        return "datacontenttype"
    if not lowered.startswith("ce_"):
        return None
    name = lowered[3:]
    if name not in _CONTEXT_ATTRIBUTES and (name == "data" or not _EXTENSION_NAME.fullmatch(name)):
        raise PoisonMessage(
            f"invalid CloudEvent: header {header!r} names no valid extension attribute "
            "(lowercase letters and digits, not 'data')"
        )
    return name


def _parse_time(text: str) -> datetime:
    """An RFC 3339 ``time`` attribute as an aware datetime (beyond microseconds is cut off)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.upper())  # RFC 3339 allows a lowercase t and z
        except ValueError:
            raise PoisonMessage(f"unreadable CloudEvent: ce_time {text!r} is not an RFC 3339 time") from None
    if parsed.tzinfo is None:
        raise PoisonMessage(f"invalid CloudEvent: ce_time {text!r} has no UTC offset")
    return parsed


def _rfc3339(moment: datetime) -> bytes:
    """A UTC datetime as the SDK writes it: ``2026-11-30T08:05:36.312288Z``."""
    return (moment.isoformat()[:-6] + "Z").encode()

