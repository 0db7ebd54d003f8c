"""Which load the sustain check tries next: the highest rate that holds for 30 s, narrowed down.

The 6-s loads say which rates held briefly. The check runs the highest of them again for the
sustain time; while nothing has held that long it goes down the held 6-s loads, highest first, as
it did up to `6abd1a9`, so it finds the same floor. Once one holds, the tries left narrow the range
between it and the lowest that failed, geometrically, as the 6-s refinement does: up to `6abd1a9`
a run reported 1,000/s after 2,000/s failed, where 1,680/s held for 30 s on the same machine. A
rate counts only if it held for the whole sustain time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CLOSE_ENOUGH = 1.15
"""A range this narrow (upper / lower) is not split further: the 6-s refinement's step."""


def misses(load: dict) -> list[str]:
    """The conditions of holding a load that it missed, each with its figure and the bar; a load
    held when there are none. ``load`` is a pipeline stage's row (bench/stages/pipeline.py).

    Held: at least 95 % of the requests accepted, 99 % of the accepted reports on the stream,
    delivered at 90 % of the offered rate, a p99 of 1 s at most. Shares are cut, not rounded, so a
    miss never reads as its bar (94.6 % reads 94 %).
    """
    out = []
    requests, accepted = load.get("requests"), load.get("accepted") or 0
    if not requests:
        out.append("no requests sent")
    elif accepted < 0.95 * requests:
        out.append(f"accepted {_cut(accepted / requests)} of its requests (≥95%)")
    expected, delivered = load.get("expected"), load.get("delivered") or 0
    if not expected:
        out.append("nothing expected on the stream")
    elif delivered < 0.99 * expected:
        out.append(f"{delivered:,}/{expected:,} on the stream (≥99%)")
    thr, offered = load.get("throughput_per_s") or 0.0, load["offered"]
    if thr < 0.9 * offered:
        out.append(f"delivered {thr:,.0f}/s, {_cut(thr / offered)} of offered (≥90%)")
    p99 = load.get("p99_ms")
    if not p99 or p99 > 1000:
        out.append("no p99" if not p99 else f"p99 {p99:,.0f} ms (≤ 1 s)")
    return out


def _cut(share: float) -> str:
    return f"{int(share * 100)}%"


def next_rate(held_short: Sequence[float], checks: Sequence[tuple[float, bool]]) -> float | None:
    """The next load to run for the sustain time, or None when there is nothing worth trying.

    ``held_short`` are the rates the 6-s loads held; ``checks`` the sustain checks so far, in
    order, as (rate, held for the sustain time). First the highest rate held over 6 s; after a
    failure with nothing held yet, the next held 6-s rate below the lowest failure; once a rate
    has held, the geometric middle of it and the lowest failure above it, until they are close.
    """
    if not checks:
        return max(held_short, default=None)
    failed = [rate for rate, ok in checks if not ok]
    if not failed:
        return None  # the highest 6-s rate held for the sustain time too: nothing above to try
    hi = min(failed)
    lo = max((rate for rate, ok in checks if ok and rate < hi), default=None)
    if lo is None:
        return max((rate for rate in held_short if rate < hi), default=None)
    return middle(lo, hi)


def middle(lo: float, hi: float) -> float | None:
    """The geometric middle of lo and hi, to 10/s; None when they are close enough already (or the
    rounded middle is not between them). The 6-s refinement splits its range with it too."""
    if hi / lo < CLOSE_ENOUGH:
        return None
    mid = float(round(math.sqrt(lo * hi), -1))
    return mid if lo < mid < hi else None
