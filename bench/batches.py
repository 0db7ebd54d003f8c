"""Each consuming service's batches during a load, read from its /metrics before and after.

A hop's latency under load is mostly a batch cycle: a record waits for the batch in hand to end,
then for its own. Fewer, larger, longer batches, and a consumer busy most of the time, show a
service falling behind.
"""

from __future__ import annotations

import asyncio
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

BATCHES = "nuanxin_consumer_batch_seconds"
EVENTS_IN = "nuanxin_events_in"


def parse(text: str, service: str) -> dict[str, float]:
    """Totals of one service's batches, their seconds and the records consumed, over its topics."""
    totals = {"batches": 0.0, "seconds": 0.0, "records": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("service") != service:
                continue
            if sample.name == f"{BATCHES}_count":
                totals["batches"] += sample.value
            elif sample.name == f"{BATCHES}_sum":
                totals["seconds"] += sample.value
            elif sample.name == f"{EVENTS_IN}_total":
                totals["records"] += sample.value
    return totals


def _get(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


async def scrape(ports: dict[str, int]) -> dict[str, dict[str, float]]:
    """Every service's totals now (a service that does not answer is left out)."""
    found: dict[str, dict[str, float]] = {}
    for name, port in ports.items():
        try:
            found[name] = parse(await asyncio.to_thread(_get, port), name)
        except OSError:
            continue
    return found


def during(before: dict, after: dict, seconds: float) -> dict[str, dict[str, float | None]]:
    """Per service between two scrapes ``seconds`` apart: batches a second, records a batch, mean
    milliseconds a batch, and the share of the time the service was applying a batch."""
    out: dict[str, dict[str, float | None]] = {}
    for name, end in after.items():
        start = before.get(name)
        if start is None:
            continue
        n = end["batches"] - start["batches"]
        busy = end["seconds"] - start["seconds"]
        records = end["records"] - start["records"]
        if n <= 0:
            continue
        out[name] = {
            "batches": n,
            "per_s": n / seconds if seconds > 0 else None,
            "records_per_batch": records / n,
            "ms_per_batch": busy * 1000 / n,
            "busy_share": busy / seconds if seconds > 0 else None,
        }
    return out
