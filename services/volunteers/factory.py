"""Composition root of the volunteers service."""

from __future__ import annotations

from dataclasses import dataclass

from shared.host import Runtime


@dataclass
class VolunteersFactory:
    """Everything the volunteers handlers call, built once per process."""

    runtime: Runtime


def create(runtime: Runtime) -> VolunteersFactory:
    """Build the composition root."""
    return VolunteersFactory(runtime=runtime)
