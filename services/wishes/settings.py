"""Settings of the wishes service (env prefix ``NUANXIN_WISHES_``)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WishesSettings(BaseSettings):
    """How long claims hold, how big wishes may be, and how the wishes clock runs."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_WISHES_", extra="ignore", frozen=True)

    claim_hold_hours: float = Field(
        48.0, gt=0, description="How long a claim holds its shares before it is released by itself."
    )
    max_shares: int = Field(50, ge=1, description="Most equal shares one wish may be split into.")
    max_days_ahead: int = Field(180, ge=1, description="How far ahead a wish's wanted-by date may be.")
    sweeper_interval_s: float = Field(
        0.5, gt=0, description="How often the wishes clock looks for lapsed claims and wishes."
    )
    sweeper_batch_size: int = Field(200, ge=1, description="Claims or wishes handled per transaction.")
    wall_limit: int = Field(100, ge=1, le=1000, description="Most wishes the public wall shows at once.")
