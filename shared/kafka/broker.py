"""A faststream Kafka broker per service."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker


def create_broker(bootstrap_servers: str, *, client_id: str) -> KafkaBroker:
    """A broker without faststream's telemetry middleware.

    Each EventConsumer opens its own span per event, continuing the trace named in the event's
    headers. faststream's middleware would add two spans per fetched batch, roots of traces of
    their own that belong to no report, at the cost of two spans' work per batch.
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=False,
        logger=logging.getLogger(f"nuanxin.{client_id}.broker"),
        graceful_timeout=10.0,
    )
