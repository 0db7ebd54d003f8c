"""The one producer a service process owns (created by its composition root, never at import)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer


def create_producer(bootstrap_servers: str, *, client_id: str, linger_ms: int = 2) -> AIOKafkaProducer:
    """A producer that waits for all replicas; not idempotent, which Tansu refuses."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
    )
