"""Composition root of the notify service."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.app.dispatch import Dispatcher
from services.notify.app.live import FeedSignal, listen
from services.notify.app.record import RecordCaseEvent
from services.notify.handlers import kafka as kafka_handlers
from services.notify.settings import NotifySettings
from services.notify.storage.channels import DevSink, WebhookSender
from services.notify.storage.inbox import InboxReader
from services.notify.storage.postgres import CHANNEL, FeedReader
from shared.host import Runtime


@dataclass
class NotifyFactory:
    """Everything notify's handlers call, built once per process."""

    runtime: Runtime
    settings: NotifySettings
    signal: FeedSignal = field(default_factory=FeedSignal)
    feed: FeedReader = field(init=False)
    inbox: InboxReader = field(init=False)
    record: RecordCaseEvent = field(init=False)
    dispatcher: Dispatcher = field(init=False)

    def __post_init__(self) -> None:
        rt, s = self.runtime, self.settings
        self.feed = FeedReader(pool=rt.pool)
        self.inbox = InboxReader(pool=rt.pool)
        self.record = RecordCaseEvent(clock=rt.clock)
        dead = rt.metrics.counter("nuanxin_notify_dead_deliveries_total", "Deliveries dead", ("channel",))
        self.dispatcher = Dispatcher(
            pool=rt.pool, clock=rt.clock, webhooks=WebhookSender(),
            channels={name: DevSink(s.dev_sink_path, name) for name in ("sms", "app_push")},
            max_attempts=s.max_attempts, base_backoff_s=s.backoff_base_s,
            on_dead=lambda channel: dead.labels(rt.name, channel).inc(),
        )

    def background(self) -> list:
        """The LISTEN loop that wakes live streams, and the channel dispatcher."""
        return [
            listen(self.runtime.settings.database_url, CHANNEL, self.signal),
            self.dispatcher.run(self.settings.dispatch_interval_s),
        ]


def create(runtime: Runtime) -> NotifyFactory:
    """Build the composition root and register its Kafka handlers."""
    factory = NotifyFactory(runtime=runtime, settings=runtime.service_settings(NotifySettings))
    kafka_handlers.register(runtime, factory)
    return factory
