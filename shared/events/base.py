"""The base class of every event body: frozen, described, versioned by its type name."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class EventBody(BaseModel):
    """An event's data; ``event_type`` is the CloudEvents ``type`` and carries the version."""

    # Tolerant reader: a field added by a newer producer is ignored, so additive changes can
    # roll out producer-first without dead-lettering anything.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]

    def partition_key(self) -> str:
        """The aggregate id this event belongs to, so one aggregate's events stay in order."""
        raise NotImplementedError


_REGISTRY: dict[str, type[EventBody]] = {}


def register(cls: type[EventBody]) -> type[EventBody]:
    """Make an event body class decodable by its type name."""
    if cls.event_type in _REGISTRY and _REGISTRY[cls.event_type] is not cls:
        raise ValueError(f"event type {cls.event_type} registered twice")
    _REGISTRY[cls.event_type] = cls
    return cls


def body_class(event_type: str) -> type[EventBody] | None:
    """The body class registered for a type name, or None."""
    return _REGISTRY.get(event_type)


def registered_types() -> dict[str, type[EventBody]]:
    """Every registered type name and its class."""
    return dict(_REGISTRY)
