"""Kafka handlers of notify: case events feed the dashboards and the inboxes; wish and volunteer
events reach the inboxes of those they concern."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.notify.app.volunteers import record_volunteer_event
from services.notify.app.wishes import record_wish_event
from shared.events import topics
from shared.host import Runtime

if TYPE_CHECKING:
    from services.notify.factory import NotifyFactory


def register(runtime: Runtime, factory: NotifyFactory) -> None:
    """Subscribe notify to the cases, wishes and volunteers streams."""
    runtime.consume(topics.CASES, apply_batch=factory.record.many)
    runtime.consume(topics.WISHES, apply_one=record_wish_event)
    runtime.consume(topics.VOLUNTEERS, apply_one=record_volunteer_event)
