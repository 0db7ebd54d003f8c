"""Settings of the reports service (env prefix ``NUANXIN_REPORTS_``)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.reports.storage.postgres import INTAKE_MAX_BATCH


class ReportsSettings(BaseSettings):
    """What intake accepts."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_REPORTS_", extra="ignore", frozen=True)

    max_photos: int = Field(6, ge=0, le=20, description="Most photos one report may carry.")
    photo_dir: Path = Field(Path("var/photos"), description="Directory of the content-addressed photo store.")
    photo_max_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest photo upload in bytes, before re-encoding."
    )
    photo_max_pixels: int = Field(
        40_000_000, ge=1, description="Most pixels a photo's header may declare (decompression bombs)."
    )
    photo_max_side: int = Field(
        2048, ge=64, description="Longest side in pixels a photo is kept at; larger ones are shrunk."
    )
    intake_max_batch: int = Field(
        INTAKE_MAX_BATCH,
        ge=1,
        description="Most reports committed in one transaction when requests arrive together.",
    )
    intake_linger_ms: float = Field(
        2.0,
        ge=0,
        le=100,
        description="Longest a report waits for others to share its transaction while few arrive (0: none).",
    )
    reports_per_hour: int = Field(
        30, ge=1, description="Reports one worker may submit per hour, per intake instance."
    )
