"""Build the versioned Yubei hierarchy from the shipped CSVs: 2023 codes, and the 2025 reorganisation."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from services.routing.domain.hierarchy import Hierarchy, HierarchyVersion, Unit

HERE = Path(__file__).resolve().parent
YUBEI = Unit("500112", "渝北区", "district", None)
# The 2025 reorganisation: no new codes were published for 两江新区, so it gets a marked placeholder.
NEW_PARENTS = {
    "两江新区": Unit("LJXQ", "两江新区 (no official code published)", "district", None),
    "北碚区": Unit("500109", "北碚区", "district", None),
}
REORG_EFFECTIVE = datetime(2025, 11, 6, tzinfo=UTC)


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_hierarchy() -> Hierarchy:
    """Two versions: the 2023 statistical codes under 渝北区, and after 2025-11-06."""
    streets = _rows("yubei_streets.csv")
    communities = [
        Unit(r["code"], r["name"], "community", r["street_code"])
        for r in _rows("yubei_communities.csv")
    ]
    before = {u.code: u for u in communities}
    before[YUBEI.code] = YUBEI
    after = dict(before)
    for row in streets:
        before[row["code"]] = Unit(row["code"], row["name"], "street", YUBEI.code)
        parent = NEW_PARENTS.get(row["after_2025_11_06_reorg"].strip(), YUBEI)
        after[row["code"]] = Unit(row["code"], row["name"], "street", parent.code)
        after[parent.code] = parent
    if not any(u.parent_code == YUBEI.code for u in after.values()):
        del after[YUBEI.code]  # 渝北区 itself was abolished
    return Hierarchy([
        HierarchyVersion("2023-nbs", datetime(2023, 1, 1, tzinfo=UTC), before,
                         "NBS 2023 statistical codes; every street under 渝北区"),
        HierarchyVersion("2025-11-06-reorg", REORG_EFFECTIVE, after,
                         "streets moved to 两江新区, five towns to 北碚区; communities unchanged"),
    ])
