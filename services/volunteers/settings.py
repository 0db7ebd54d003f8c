"""Settings of the volunteers service (env prefix ``NUANXIN_VOLUNTEERS_``): the points rules table."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.volunteers.domain.rules import PointsRules


class VolunteersSettings(BaseSettings):
    """What verified deeds earn, the daily cap and station prices; all in whole points."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_VOLUNTEERS_", extra="ignore", frozen=True)

    points_per_resolved_report: dict[str, int] = Field(
        default_factory=lambda: {
            "hazard": 10, "food_safety": 10, "civility": 5, "residents_voice": 5,
            "policy_promotion": 2, "elderly_checkin": 0,
        },
        description="Points a reporter earns when a report of that kind is resolved (JSON object).",
    )
    points_per_wish_share: int = Field(8, ge=0, description="Points a donor earns per wish share fulfilled.")
    points_per_visit: int = Field(5, ge=0, description="Points a carer earns per logged elderly visit.")
    daily_cap: int = Field(
        40, ge=0, description="Most points one volunteer can earn on one Asia/Shanghai calendar day."
    )
    prices: dict[str, int] = Field(
        default_factory=lambda: {"meal": 30, "phone_charge": 3, "battery_charge": 8, "drink": 2},
        description="What each station item costs in points (JSON object).",
    )

    def rules(self) -> PointsRules:
        """The settings as the domain's rules table."""
        return PointsRules(
            per_resolved_report=dict(self.points_per_resolved_report),
            per_wish_share=self.points_per_wish_share, per_visit=self.points_per_visit,
            daily_cap=self.daily_cap, prices=dict(self.prices),
        )
