"""Settings of the routing service (env prefix ``NUANXIN_ROUTING_``)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.routing.geodata.loader import SYNTHETIC_PATH


class RoutingSettings(BaseSettings):
    """Where jurisdictions come from."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_ROUTING_", extra="ignore", frozen=True)

    jurisdictions_path: Path = Field(
        SYNTHETIC_PATH,
        description="GeoJSON of streets and communities (WGS84 or GCJ-02); the shipped "
        "polygons are synthetic until official boundaries are imported.",
    )
