"""Settings every service shares: where the broker and database are, telemetry, tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-insecure-secret-change-me"


class PlatformSettings(BaseSettings):
    """Connection and behaviour settings common to all services (env prefix ``NUANXIN_``)."""

    model_config = SettingsConfigDict(
        env_prefix="NUANXIN_", extra="ignore", frozen=True, populate_by_name=True
    )

    env: Literal["dev", "test", "prod"] = Field(
        "dev", description="Deployment kind; placeholder secrets are refused in prod."
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "NUANXIN_KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka-protocol bootstrap servers, comma separated.",
    )
    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/nuanxin",
        validation_alias=AliasChoices("DATABASE_URL", "NUANXIN_DATABASE_URL"),
        description="PostgreSQL URL; every service keeps its tables in its own schema.",
    )
    namespace: str = Field(
        "",
        pattern=r"^[a-zA-Z0-9._-]*$",
        description="Prefix of every topic and consumer group, so several deployments (or test "
        "runs) can share one broker.",
    )
    topic_partitions: int = Field(6, ge=1, description="Partitions for topics the system creates.")
    fetch_max_wait_ms: int = Field(
        20,
        ge=1,
        le=5000,
        description="Consumer long-poll wait; low because a fetch for partitions with nothing new "
        "is held this long, and the consumer fetches nothing else from that broker meanwhile (and "
        "the embedded broker does not wake a long poll when data arrives), not lower because every "
        "idle consumer polls this often.",
    )
    follower_fetch_max_wait_ms: int = Field(
        200,
        ge=1,
        le=5000,
        description="Long-poll wait of the services whose consumers no live view waits on (reports' "
        "case follower, volunteers): on the embedded broker a record reaching them while they idle "
        "waits up to this long; idle, they poll a tenth as often as at 20 ms.",
    )
    relay_linger_ms: int = Field(
        50,
        ge=0,
        le=1000,
        description="Shortest time between two publishes of a service's outbox relay that send: rows "
        "committed meanwhile leave together, in fewer and larger record batches, at up to this much "
        "latency per hop while busy (none after a quiet spell). The embedded broker's fetches cost "
        "more with every batch a partition holds, and fewer, larger batches make larger consumer batches.",
    )
    outbox_relay: Literal["in-service", "separate"] = Field(
        "in-service",
        description="Who publishes a service's outbox: the service's own process (`in-service`), or "
        "a `nuanxin relay` process beside it (`separate`), so the service's core serves only its "
        "requests and events. One relay per schema publishes at a time either way (an advisory "
        "lock), so a relay in both places is safe, and neither is a mistake that loses events: "
        "rows wait in the outbox until a relay runs.",
    )
    consumer_max_records: int = Field(500, ge=1, description="Most records one batch handles.")
    consumer_max_attempts: int = Field(
        3, ge=1, description="Attempts per message before it goes to the dead-letter topic."
    )
    inbox_retention_days: int = Field(
        30,
        ge=1,
        description="Days an applied event id is remembered; a redelivery within them has no effect. "
        "Keep it above the topics' retention.",
    )
    db_pool_size: int = Field(10, ge=1, description="Largest asyncpg pool per service.")
    jwt_secret: SecretStr = Field(
        SecretStr(DEV_JWT_SECRET), description="HMAC secret for access tokens (HS256)."
    )
    jwt_issuer: str = Field("nuanxin", description="Required `iss` of access tokens.")
    jwt_audience: str = Field("nuanxin-api", description="Required `aud` of access tokens.")
    otlp_endpoint: str | None = Field(
        None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "NUANXIN_OTLP_ENDPOINT"),
        description="OTLP/HTTP collector; when unset spans go to local files under trace_dir.",
    )
    trace_dir: Path = Field(Path("var/traces"), description="Where local span files are written.")
    log_level: str = Field("INFO", description="Root log level.")

    def topic(self, name: str) -> str:
        """The broker-side name of a logical topic."""
        return f"{self.namespace}{name}"

    def group(self, name: str) -> str:
        """The broker-side consumer group id of a service."""
        return f"{self.namespace}{name}"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> PlatformSettings:
        if self.env == "prod" and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError("NUANXIN_JWT_SECRET must be set to a real secret when NUANXIN_ENV=prod")
        return self
