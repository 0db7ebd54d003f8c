"""The AsyncAPI 3.0 document of the event catalogue: channels, who sends and receives, schemas."""

from __future__ import annotations

import json
from typing import Any

from shared.events import topics
from shared.events.base import registered_types

# Who sends and who receives each topic: the document's operations.
FLOWS: tuple[tuple[str, str, str], ...] = (
    ("reports", "send", topics.REPORTS),
    ("routing", "receive", topics.REPORTS),
    ("volunteers", "receive", topics.REPORTS),
    ("routing", "send", topics.CASES),
    ("notify", "receive", topics.CASES),
    ("reports", "receive", topics.CASES),
    ("wishes", "send", topics.WISHES),
    ("volunteers", "receive", topics.WISHES),
    ("notify", "receive", topics.WISHES),
    ("volunteers", "send", topics.VOLUNTEERS),
    ("routing", "receive", topics.VOLUNTEERS),
    ("notify", "receive", topics.VOLUNTEERS),
)

CE_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary mode, plus W3C trace context.",
    "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "content-type"],
    "properties": {
        "ce_id": {"type": "string", "description": "Event id; consumers apply each id once."},
        "ce_source": {"type": "string", "description": "Producing service, e.g. /nuanxin/reports."},
        "ce_type": {"type": "string", "description": "Event type and version."},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The aggregate id (also the record key)."},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context of the producer."},
    },
}


def _message_name(event_type: str) -> str:
    return event_type.removeprefix("nuanxin.").replace(".", "_")


def document() -> dict[str, Any]:
    """The whole AsyncAPI document as a dict (stable ordering, so it can be diffed in CI)."""
    types = dict(sorted(registered_types().items()))
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    by_topic: dict[str, list[str]] = {}
    for event_type, cls in types.items():
        name = _message_name(event_type)
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas[def_name] = definition
        schemas[cls.__name__] = schema
        messages[name] = {
            "name": event_type,
            "title": cls.__name__,
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "Aggregate id."}}},
        }
        by_topic.setdefault(cls.topic, []).append(name)
    schemas["CloudEventHeaders"] = CE_HEADERS
    channels = {
        topic: {
            "address": topic,
            "description": f"The {topic} stream, keyed by aggregate id; dead letters go to "
            f"{topics.dead_letter(topic)}.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
        }
        for topic, names in sorted(by_topic.items())
    }
    operations = {
        f"{service}_{action}_{topic}": {
            "action": action,
            "channel": {"$ref": f"#/channels/{topic}"},
            "summary": f"{service} {'publishes to' if action == 'send' else 'consumes'} {topic}",
            "messages": [
                {"$ref": f"#/channels/{topic}/messages/{n}"} for n in by_topic.get(topic, [])
            ],
        }
        for service, action, topic in FLOWS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "nuanxin (暖新) events",
            "version": "1.0.0",
            "description": "Events between the nuanxin services: CloudEvents 1.0 in Kafka "
            "binary mode with JSON bodies. Generated from the event catalogue.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {"host": "localhost:9092", "protocol": "kafka", "description": "Any broker"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    """The document as the JSON text checked into docs/."""
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
