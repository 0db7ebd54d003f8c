"""Composition root of the stations service."""

from __future__ import annotations

from dataclasses import dataclass

from shared.host import Runtime


@dataclass
class StationsFactory:
    """Everything the stations handlers call, built once per process."""

    runtime: Runtime


def create(runtime: Runtime) -> StationsFactory:
    """Build the composition root."""
    return StationsFactory(runtime=runtime)
