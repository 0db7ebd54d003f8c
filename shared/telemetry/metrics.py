"""Prometheus metrics, labelled by service, in one registry per process (several services may share it)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# A batch of a few records takes milliseconds; under a backlog one holds hundreds and takes longer.
BATCH_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _Families:
    """The metric families of one registry, created once however many services share it."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events_in = Counter(
            "nuanxin_events_in_total", "Events consumed, by topic and outcome",
            ["service", "topic", "outcome"], registry=registry,
        )
        self.events_out = Counter(
            "nuanxin_events_out_total", "Events published by the outbox relay",
            ["service"], registry=registry,
        )
        self.consumer_lag = Gauge(
            "nuanxin_consumer_lag", "Records behind the high watermark, per partition",
            ["service", "group", "topic", "partition"], registry=registry,
        )
        self.outbox_backlog = Gauge(
            "nuanxin_outbox_backlog", "Outbox rows not yet published", ["service"], registry=registry,
        )
        self.consumer_batch_seconds = Histogram(
            "nuanxin_consumer_batch_seconds",
            "Seconds to apply one batch of a topic's records (decode, inbox, effect, commit), per batch",
            ["service", "topic"], buckets=BATCH_SECONDS, registry=registry,
        )
        self.extra: dict[str, Counter | Gauge] = {}


_BY_REGISTRY: dict[int, _Families] = {}


class ServiceMetrics:
    """One service's view of the process registry."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        families = _BY_REGISTRY.get(id(registry))
        if families is None or families.registry is not registry:
            families = _BY_REGISTRY[id(registry)] = _Families(registry)
        self.service = service
        self.registry = registry
        self._families = families
        self.events_in = families.events_in
        self.events_out = families.events_out
        self.consumer_lag = families.consumer_lag
        self.outbox_backlog = families.outbox_backlog
        self.consumer_batch_seconds = families.consumer_batch_seconds

    def gauge(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
        """A gauge such as open cases; call ``.labels(service, ...)`` on it."""
        return self._extra(Gauge, name, documentation, labels)

    def counter(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        """A counter such as SLA breaches; call ``.labels(service, ...)`` on it."""
        return self._extra(Counter, name, documentation, labels)

    def _extra(self, kind: type, name: str, documentation: str, labels: tuple[str, ...]):
        found = self._families.extra.get(name)
        if found is None:
            found = kind(name, documentation, ["service", *labels], registry=self.registry)
            self._families.extra[name] = found
        return found

    def render(self) -> bytes:
        """The whole registry in Prometheus text format."""
        return generate_latest(self.registry)
