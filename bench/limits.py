"""Where an HTTP server's limit lies: the loads that narrow it down, and the pairs that judge intake
against the bare endpoint (the intake stage's arithmetic, apart from its loads)."""

from __future__ import annotations

import math
import statistics

# A server that keeps up with the highest load offered to it is offered this much more each time, up
# to the most the load client offers with the cores left over from a saturated server.
LADDER_STEP = 1.5
MAX_RATE = 27_000
# Then the loads between the highest a server kept up with and the lowest it fell behind at are
# halved (geometrically) until the two are within a tenth of each other: its limit is measured
# where it lies, not at a probe below it (where it answers only what is offered) nor at one far past
# it (an overloaded server answers less than its limit).
REFINE_STEP = 1.1
# Then each server is offered this many times the most it answered a second, in pairs (both servers
# one after the other): just past its limit, as far as the narrowing above ends from it, where it
# answers all it can without being far past it (an overloaded server answers less, see above). A
# pair in which a server still kept up is not counted: that minute it could have answered more.
PAIR_OVER = REFINE_STEP


def kept_up(row: dict) -> bool:
    """Whether a server answered at least 95 % of the load offered to it (it was not saturated)."""
    return row["accepted_per_s"] >= 0.95 * row["offered"]


def limit_measured(rows: list[dict]) -> bool:
    """Whether a server fell behind its highest load: else only the ladder's cap ended it."""
    return bool(rows) and not kept_up(max(rows, key=_offered))


def next_load(rows: list[dict]) -> float | None:
    """The next load that narrows down a server's limit, or None when it is measured.

    Kept up with its highest load: half as much again (up to ``MAX_RATE``). Else the geometric
    mean of the highest load it kept up with and the lowest it fell behind at, until those are
    within ``REFINE_STEP`` of each other (a server that kept up with none has nothing to narrow).
    """
    if not rows:
        return None
    if not limit_measured(rows):
        rate = max(rows, key=_offered)["offered"] * LADDER_STEP
        return rate if rate <= MAX_RATE else None
    kept = [r["offered"] for r in rows if kept_up(r)]
    if not kept:
        return None
    low = max(kept)
    high = min(r["offered"] for r in rows if r["offered"] > low)
    if high <= low * REFINE_STEP:
        return None
    rate = round(math.sqrt(low * high), -1)
    return rate if low < rate < high else None  # at a few requests a second, rounding meets an end


def limit_load(rows: list[dict]) -> float | None:
    """The load a server is offered in the pairs: ``PAIR_OVER`` times the most it answered a second
    (at most ``MAX_RATE``), so that it falls behind and answers all it can."""
    best = max((r["accepted_per_s"] for r in rows), default=0.0)
    load = min(round(PAIR_OVER * best, -1), MAX_RATE)
    return load if load > best else None  # at a few a second, rounding to tens meets (or undercuts) it


def counted(pair: dict) -> bool:
    """Whether a pair measured both servers' limits: both fell behind their loads, and the bare
    endpoint answered something."""
    return (
        pair.get("ratio") is not None
        and not kept_up(pair["reports"])
        and not kept_up(pair["bare"])
    )


def pair_ratio(pairs: list[dict]) -> float | None:
    """Intake's rate as a percentage of the bare endpoint's: the median over the counted pairs, each
    the two servers' answers a second past their limits, a few seconds apart."""
    ratios = [p["ratio"] for p in pairs if counted(p)]
    return statistics.median(ratios) if ratios else None


def _offered(row: dict) -> float:
    return row["offered"]
