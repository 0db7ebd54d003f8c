"""Kafka handlers of notify: case events feed the dashboards and the inboxes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.notify.app.wishes import record_wish_event
from shared.events import topics
from shared.host import Runtime

if TYPE_CHECKING:
    from services.notify.factory import NotifyFactory


def register(runtime: Runtime, factory: NotifyFactory) -> None:
    """Subscribe notify to the cases and wishes streams."""
    runtime.consume(topics.CASES, apply_batch=factory.record.many)
    runtime.consume(topics.WISHES, apply_one=record_wish_event)
