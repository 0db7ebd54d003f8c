"""Settings of the stations service (env prefix ``NUANXIN_STATIONS_``)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SYNTHETIC_PATH = Path(__file__).resolve().parent / "data" / "stations_synthetic.csv"


class StationsSettings(BaseSettings):
    """Where the demo stations come from and how riding time is estimated."""

    model_config = SettingsConfigDict(env_prefix="NUANXIN_STATIONS_", extra="ignore", frozen=True)

    seed_synthetic: bool = Field(
        True, description="Load the synthetic demo stations on first start when the table is empty."
    )
    seed_path: Path = Field(SYNTHETIC_PATH, description="CSV of the demo stations (all marked synthetic).")
    speed_kmh: float = Field(15.0, gt=0, le=60, description="Default riding speed for riding_minutes.")
    detour_factor: float = Field(
        1.3, ge=1, le=3, description="Streets are longer than a straight line: road ≈ line × this."
    )
    circle_minutes: float = Field(
        15.0, gt=0, le=120, description="The convenient-life circle: default riding-time cut-off."
    )
    max_results: int = Field(50, ge=1, le=500, description="Most stations one nearest query returns.")
    grid_cell_m: float = Field(1000.0, gt=0, description="Cell size of the in-memory grid index.")
    import_max_bytes: int = Field(
        20_000_000, ge=1, description="Largest file the import endpoint accepts."
    )
