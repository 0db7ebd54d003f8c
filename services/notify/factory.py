"""Composition root of the notify service."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.app.live import FeedSignal, listen
from services.notify.handlers import kafka as kafka_handlers
from services.notify.storage.postgres import CHANNEL, FeedReader
from shared.host import Runtime


@dataclass
class NotifyFactory:
    """Everything notify's handlers call, built once per process."""

    runtime: Runtime
    signal: FeedSignal = field(default_factory=FeedSignal)
    feed: FeedReader = field(init=False)

    def __post_init__(self) -> None:
        self.feed = FeedReader(pool=self.runtime.pool)

    def background(self) -> list:
        """The LISTEN loop that wakes live streams."""
        return [listen(self.runtime.settings.database_url, CHANNEL, self.signal)]


def create(runtime: Runtime) -> NotifyFactory:
    """Build the composition root and register its Kafka handlers."""
    kafka_handlers.register(runtime)
    return NotifyFactory(runtime=runtime)
