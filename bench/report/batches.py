"""Report section: each consuming service's batches during each pipeline load."""

from __future__ import annotations

SERVICES = ("routing", "notify", "reports")


def _cell(b: dict | None) -> str:
    if not b:
        return "-"
    return (
        f"{b['per_s']:,.1f}/s × {b['records_per_batch']:,.0f}, {b['ms_per_batch']:,.0f} ms, "
        f"{100 * b['busy_share']:.0f} %"
    )


def batches_section(loads: list[dict]) -> list[str]:
    """One row a load: for each service, batches a second × records a batch, mean ms a batch, busy share."""
    loads = [x for x in loads if x.get("batches")]
    if not loads:
        return []
    L = [
        "",
        "Batches each service applied during each load and its drain (from the services' "
        "`nuanxin_consumer_batch_seconds` and `nuanxin_events_in_total`): batches a second × records "
        "a batch, mean time a batch, and the share of the time the service spent applying one. A "
        "record waits for the batch in hand to end and then for its own, so under load a hop is "
        "about one and a half batch times; a service that falls behind applies fewer, larger, longer "
        "batches and is busy nearly all the time. routing applies reports, notify and reports (its "
        "case follower) the case events.",
        "",
        "| offered/s | " + " | ".join(SERVICES) + " |",
        "| --- |" + " --- |" * len(SERVICES),
    ]
    for x in loads:
        mark = f" ({x['duration_s']:,.0f} s)" if x.get("sustain_check") else ""
        cells = " | ".join(_cell(x["batches"].get(s)) for s in SERVICES)
        L.append(f"| {x['offered']:,.0f}{mark} | {cells} |")
    return L
