"""The lines under report.md's title that say what machine the run had: its speed, and who else used it."""

from __future__ import annotations


def yardstick_line(ys: list[dict]) -> str | None:
    """The header's line on the machine's speed during the run (bench/yardstick.py), or None."""
    if not ys:
        return None
    line = (
        "- machine speed, one core's events/s of the services' per-event Python "
        "(`python -m bench.yardstick`): "
        + ", ".join(f"{y['at']} {y['events_per_s']:,}" for y in ys)
    )
    rates = [y["events_per_s"] for y in ys]
    change = min(rates) / max(rates) - 1
    if change <= -0.10:
        line += (
            f"; the machine's speed changed by {abs(change):.0%} during the run, so stages that ran "
            "at different times do not compare as they stand"
        )
    return line


def busy_machine_line(idle: dict | None, threshold: float = 0.10) -> str | None:
    """A warning when processes outside the benchmark used the machine before any load, or None."""
    others = (idle or {}).get("others")
    if others is None or others < threshold:
        return None
    return (
        f"- **the machine was not quiet**: before any load, processes outside the benchmark used "
        f"{others:.2f} cores (\"others\", idle row of the pipeline section); every figure below "
        "had that much less"
    )


def environment_line(environment: dict[str, str] | None) -> str | None:
    """The header's line on the services' settings the run took from the environment, or None for
    a result written before they were recorded."""
    if environment is None:
        return None
    if not environment:
        return "- settings from the environment: none, the services ran on their defaults"
    return "- settings from the environment (every service had them): " + ", ".join(
        f"`{name}={value}`" for name, value in environment.items()
    )
