"""A faststream Kafka broker per service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import aiokafka
from faststream.kafka import KafkaBroker

from shared.kafka.read_ahead import ReadAheadConsumer


class _ReadAheadBroker(KafkaBroker):
    """A faststream broker whose subscribers consume with a ReadAheadConsumer."""

    async def _connect(self) -> Callable[..., Any]:
        builder = await super()._connect()
        if not (isinstance(builder, partial) and builder.func is aiokafka.AIOKafkaConsumer):
            raise RuntimeError(f"faststream builds its consumers otherwise now: {builder!r}")
        read_ahead = partial(ReadAheadConsumer, *builder.args, **builder.keywords)
        self.config.broker_config.builder = read_ahead
        return read_ahead


def create_broker(bootstrap_servers: str, *, client_id: str, read_ahead: bool = True) -> KafkaBroker:
    """A broker without faststream's telemetry middleware, its consumers reading ahead.

    Each EventConsumer opens its own span per event, continuing the trace named in the event's
    headers. faststream's middleware would add two spans per fetched batch, roots of traces of
    their own that belong to no report, at the cost of two spans' work per batch.

    With ``read_ahead`` (the default) each subscriber's consumer is a ReadAheadConsumer: the next
    batch is fetched while this one is handled.
    """
    return (_ReadAheadBroker if read_ahead else KafkaBroker)(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=False,
        logger=logging.getLogger(f"nuanxin.{client_id}.broker"),
        graceful_timeout=10.0,
    )
