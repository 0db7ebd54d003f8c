"""quiet_gc freezes what start-up built and collects the young generation less often."""

from __future__ import annotations

import gc

from shared.gc import YOUNG_THRESHOLD, quiet_gc


def test_start_up_objects_are_frozen_and_young_collections_are_rarer():
    before = gc.get_threshold()
    kept = [object() for _ in range(10)]
    try:
        quiet_gc()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD > before[0]
        # Cycles made afterwards are still collected.
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
