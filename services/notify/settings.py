"""Settings of the notify service (env prefix ``NUANXIN_NOTIFY_``)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    """How channels beyond the browser behave."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_NOTIFY_", extra="ignore", frozen=True)

    dev_sink_path: Path = Field(
        Path("var/notify/sent-messages.jsonl"),
        description="Where SMS and app-push messages that would have been sent are written.",
    )
    max_attempts: int = Field(5, ge=1, description="Webhook/SMS attempts before a delivery is dead.")
    backoff_base_s: float = Field(2.0, gt=0, description="First retry wait; it doubles each time.")
    dispatch_interval_s: float = Field(0.5, gt=0, description="How often idle dispatchers look.")
