"""Settings of the routing service (env prefix ``NUANXIN_ROUTING_``)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.routing.geodata.loader import SYNTHETIC_PATH

POLICY = Path(__file__).resolve().parent / "policy"


class RoutingSettings(BaseSettings):
    """Where jurisdictions and policies come from, and how the SLA clock runs."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_ROUTING_", extra="ignore", frozen=True)

    jurisdictions_path: Path = Field(
        SYNTHETIC_PATH,
        description="GeoJSON of streets and communities (WGS84 or GCJ-02); the shipped "
        "polygons are synthetic until official boundaries are imported.",
    )
    jurisdictions_crs: str | None = Field(
        None, description="WGS84 or GCJ-02; unset: read from the file's crs hint (default WGS84)."
    )
    sla_policy_path: Path = Field(POLICY / "sla_policy.json", description="SLA rules (JSON).")
    calendar_path: Path = Field(
        POLICY / "calendar_cn.json", description="Working hours, holidays and adjusted working days."
    )
    co_owner_distance_m: float = Field(
        30.0, ge=0, description="Within this distance of another community, it co-owns the case."
    )
    scheduler_interval_s: float = Field(
        0.5, gt=0, description="How often the SLA clock looks for due deadlines."
    )
    scheduler_batch_size: int = Field(500, ge=1, description="Deadlines fired per transaction.")
