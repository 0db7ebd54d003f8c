"""Check an official (or any) boundary file against the hierarchy before routing uses it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.routing.geodata.hierarchy import load_hierarchy
from services.routing.geodata.loader import load_geojson_jurisdictions


@dataclass
class BoundaryReport:
    """What a boundary file covers and what is wrong with it."""

    crs: str
    streets: int
    communities: int
    synthetic: bool
    unknown_codes: list[str] = field(default_factory=list)
    missing_codes: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    wrong_street: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Routing can use it: every polygon valid, every code known, parents as the hierarchy says."""
        return not (self.unknown_codes or self.invalid or self.wrong_street) and self.communities > 0


def check_boundaries(path: Path, crs: str | None = None) -> BoundaryReport:
    """Load a GeoJSON file as routing would and compare it with the hierarchy in force now."""
    import json

    from services.routing.geodata.loader import detect_crs

    data = json.loads(path.read_text(encoding="utf-8"))
    streets, communities = load_geojson_jurisdictions(path, crs)
    version = load_hierarchy().in_force(datetime.now(UTC))
    known = {c for c, u in version.units.items() if u.level == "community"}
    report = BoundaryReport(
        crs=crs or detect_crs(data), streets=len(streets), communities=len(communities),
        synthetic=bool(data.get("synthetic")),
    )
    codes = {c.code for c in communities}
    report.unknown_codes = sorted(codes - known)
    report.missing_codes = sorted(known - codes)
    report.invalid = sorted(c.code for c in communities if not c.geometry.is_valid or c.geometry.is_empty)
    report.wrong_street = sorted(
        c.code for c in communities
        if c.code in known and c.parent_code not in (None, version.units[c.code].parent_code)
    )
    return report
