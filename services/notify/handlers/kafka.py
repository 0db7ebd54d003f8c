"""Kafka handlers of notify: case events feed the dashboards."""

from __future__ import annotations

from services.notify.app.record import record_case_event
from shared.events import topics
from shared.host import Runtime


def register(runtime: Runtime) -> None:
    """Subscribe notify to the cases stream."""
    runtime.consume(topics.CASES, apply_one=record_case_event)
