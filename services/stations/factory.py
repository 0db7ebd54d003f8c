"""Composition root of the stations service."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.stations.app.catalogue import StationCatalogue
from services.stations.domain.riding import RidingModel
from services.stations.settings import StationsSettings
from shared.host import Runtime


@dataclass
class StationsFactory:
    """Everything the stations handlers call, built once per process."""

    runtime: Runtime
    settings: StationsSettings
    catalogue: StationCatalogue = field(init=False)
    riding: RidingModel = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.riding = RidingModel(speed_kmh=s.speed_kmh, detour_factor=s.detour_factor)
        self.catalogue = StationCatalogue(
            pool=self.runtime.pool, clock=self.runtime.clock,
            seed_path=s.seed_path if s.seed_synthetic else None, cell_m=s.grid_cell_m,
        )

    def background(self) -> list:
        """Load the index now (not on the first request) and follow imports by other processes."""
        return [self.catalogue.follow_changes(self.runtime.settings.database_url)]


def create(runtime: Runtime) -> StationsFactory:
    """Build the composition root."""
    return StationsFactory(runtime=runtime, settings=runtime.service_settings(StationsSettings))
