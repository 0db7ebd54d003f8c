"""Settings of the reports service (env prefix ``NUANXIN_REPORTS_``)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportsSettings(BaseSettings):
    """What intake accepts."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_REPORTS_", extra="ignore", frozen=True)

    max_photos: int = Field(6, ge=0, le=20, description="Most photos one report may carry.")
