"""Names of the deployable nuanxin targets (services) and how to load each one's spec."""

from __future__ import annotations

import importlib

from shared.host import ServiceSpec

TARGETS: tuple[str, ...] = ("reports", "routing", "notify", "wishes", "stations", "volunteers")


def spec_for(target: str) -> ServiceSpec:
    """The ServiceSpec of a target, imported only when asked for."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)} or all")
    return importlib.import_module(f"services.{target}.main").SPEC


def expand(target: str) -> list[str]:
    """``all`` means every target; anything else is itself."""
    return list(TARGETS) if target == "all" else [target]
