"""An intake stage whose two HTTP servers are capacities: the loads it offers are recorded, and
each is answered up to the server's capacity times the machine's speed at that moment."""

from __future__ import annotations

from types import SimpleNamespace

from bench.stages.intake import IntakeStage


def row(offered: float, per_s: float, cpu_ms: float = 0.08) -> dict:
    """One load's summary as the stage keeps it."""
    return {"offered": offered, "accepted_per_s": per_s, "p50_ms": 2.0, "p99_ms": 9.0,
            "server_cpu_ms_per_request": cpu_ms, "statuses": {"201": 10}}


class FakeIntake(IntakeStage):
    """The stage with each server replaced by a capacity. ``slowing`` multiplies the machine's
    speed after every load (1: a steady machine; 0.9: a tenth slower each load)."""

    def __init__(self, *, extra_loads: int = 8, pairs: int = 0, slowing: float = 1.0, cpu_ms: float = 0.08,
                 **capacity: float) -> None:
        self.opts = SimpleNamespace(intake_extra_loads=extra_loads, intake_pairs=pairs)
        self.capacity = capacity
        self.speed = 1.0
        self.slowing = slowing
        self.cpu_ms = cpu_ms
        self.offered: list[tuple[str, float]] = []
        self.settled = 0

    async def settle(self) -> float:
        self.settled += 1
        return 0.0

    async def _offer_intake(self, name: str, port: int, rate: float) -> dict:
        self.offered.append((name, rate))
        answered = min(rate, self.capacity[name] * self.speed)
        self.speed *= self.slowing
        return row(rate, answered, self.cpu_ms)
