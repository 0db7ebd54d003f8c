"""Jurisdictions as versioned data: community → street/town → district, with effective dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

LEVELS = ("community", "street", "district")


@dataclass(frozen=True)
class Unit:
    """One jurisdiction: its official code (or a marked placeholder), name, level and parent."""

    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class HierarchyVersion:
    """The hierarchy as it stood from ``effective_from`` until the next version."""

    version: str
    effective_from: datetime
    units: dict[str, Unit] = field(repr=False)
    note: str = ""
    # A version never changes once loaded: each (community, level) is looked up once.
    _above: dict[tuple[str | None, str], Unit | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def unit(self, code: str | None) -> Unit | None:
        """A unit by code, or None."""
        return self.units.get(code) if code else None

    def chain(self, community_code: str | None) -> list[Unit]:
        """The community and every unit above it, bottom first."""
        out: list[Unit] = []
        unit = self.unit(community_code)
        while unit is not None and len(out) < len(LEVELS):
            out.append(unit)
            unit = self.unit(unit.parent_code)
        return out

    def above(self, community_code: str | None, level: str) -> Unit | None:
        """The unit at a level above (or at) the community, as this version has it."""
        key = (community_code, level)
        if key not in self._above:
            self._above[key] = next((u for u in self.chain(community_code) if u.level == level), None)
        return self._above[key]


class Hierarchy:
    """All versions; the one in force at a moment is the latest that has taken effect."""

    def __init__(self, versions: Iterable[HierarchyVersion]) -> None:
        self._versions = sorted(versions, key=lambda v: v.effective_from)
        if not self._versions:
            raise ValueError("a hierarchy needs at least one version")

    @property
    def versions(self) -> list[HierarchyVersion]:
        """Every version, oldest first."""
        return list(self._versions)

    def in_force(self, at: datetime) -> HierarchyVersion:
        """The version in force at a moment (the oldest one before any took effect)."""
        current = self._versions[0]
        for version in self._versions:
            if version.effective_from <= at:
                current = version
        return current
