"""Kafka handlers of intake: follow each report's case so the worker sees where it stands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.events import topics
from shared.host import Runtime

if TYPE_CHECKING:
    from services.reports.factory import ReportsFactory


def register(runtime: Runtime, factory: ReportsFactory) -> None:
    """Subscribe intake to the cases stream, a batch of events at a time (set-based statements)."""
    runtime.consume(topics.CASES, apply_batch=factory.follow_cases)
