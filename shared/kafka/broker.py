"""A faststream Kafka broker per service, carrying W3C trace context in headers."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider


def create_broker(
    bootstrap_servers: str, *, client_id: str, tracer_provider: TracerProvider
) -> KafkaBroker:
    """A broker whose subscribers open consume spans continuing the producer's trace."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=False,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        logger=logging.getLogger(f"nuanxin.{client_id}.broker"),
        graceful_timeout=10.0,
    )
