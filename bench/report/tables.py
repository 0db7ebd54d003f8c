"""The Markdown sections of report.md, one per stage: their tables and the words around them."""

from __future__ import annotations

from bench.report.batches import batches_section
from bench.report.postgres import maintenance_section, statements_section

CPU_COLUMNS = (
    "reports", "relay", "routing", "notify", "broker", "postgres", "load-client", "harness", "others"
)
STACK_COLUMNS = CPU_COLUMNS[:6]  # the system's own processes (relay: intake's, when separate)


def all_loads(pipe: dict | None) -> list[dict]:
    """Every pipeline load of a run: the stages, then the sustain checks, in the order they ran."""
    return [*(pipe or {}).get("rates", []), *(pipe or {}).get("sustain_checks", [])]


def fmt(v, digits: int = 0, unit: str = "") -> str:
    """A number with thousands separators, "-" when nothing was measured."""
    if v is None:
        return "-"
    return f"{v:,.{digits}f}{unit}"


def passthrough_section(pt: dict) -> list[str]:
    """The Kafka pass-through limit, two hops."""
    L: list[str] = []
    L += [
        "## The limit: Kafka pass-through, two hops",
        "",
        "Plain aiokafka on the same broker: injector → topic → forwarder process (consume, produce the "
        f"same {pt['message_bytes']}-byte value and headers, commit after the acks) → topic → sink. "
        "Hop latency is half the two-hop latency.",
        "",
        "| offered/s | delivered msg/s | received/sent | 2-hop p50 | 2-hop p99 | hop p50 | hop p99 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for x in pt["rates"]:
        L.append(
            f"| {fmt(x['offered'])}{' (ceiling probe)' if x.get('ceiling') else ''} | "
            f"{fmt(x['msgs_per_s'])} | "
            f"{x['received']}/{x['sent']} | "
            f"{fmt(x['p50_ms'], 1)} ms | {fmt(x['p99_ms'], 1)} ms | {fmt(x['hop_p50_ms'], 1)} ms | "
            f"{fmt(x['hop_p99_ms'], 1)} ms |"
        )
    L.append("")
    return L


def _joined(load: dict) -> str:
    """How many of a load's reports joined an open case, when any did."""
    n = load.get("joined_case")
    return f" ({fmt(n)} me too)" if n else ""


def pipeline_section(pipe: dict, idle: dict | None) -> list[str]:
    """The pipeline, intake to the dashboard stream, with CPU per report."""
    L: list[str] = []
    L += [
        "## Pipeline: intake to the dashboard stream",
        "",
        "Open-loop POST /reports (latency from each request's scheduled time) → reports → routing → "
        "notify → GET /notify/stream as district staff; matched by report_id. A report that joined an "
        'open case ("me too") reaches the stream as that case\'s `case.joined` event and counts like '
        "any other; how many of a load's reports did is in brackets after its count, when any did.",
        "",
        f"Highest sustainable rate: **{fmt(pipe['sustainable_per_s'])} reports/s**"
        f"{' (lower bound)' if pipe['sustainable_is_lower_bound'] else ''}, held for "
        f"{fmt(pipe.get('sustain_s'))} s; best delivered throughput "
        f"{fmt(pipe['max_throughput_per_s'])} reports/s."
        + (
            f" The highest load held over a stage was {fmt(pipe['held_short_per_s'])}/s; the last rows "
            "(marked held for N s) are the check whether the highest held load holds that long and, if "
            "not, the held loads below it until one does, then loads between that one and the lowest "
            "that failed."
            if pipe.get("sustain_checks")
            else ""
        ),
        "",
        "| offered/s | accepted/s | intake p50 / p99 | delivered/s | on stream / expected | e2e p50 |"
        " e2e p99 |"
        " CPU cores (reports / relay / routing / notify / broker / postgres / load client / harness / others)"
        " | machine busy, cores | held |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for x in all_loads(pipe):
        cpu = x.get("cpu_cores", {})
        cores = " / ".join(fmt(cpu.get(n), 2) for n in CPU_COLUMNS)
        mark = " (refine)" if x.get("refinement") else ""
        mark += f" (held for {fmt(x['duration_s'])} s?)" if x.get("sustain_check") else ""
        L.append(
            f"| {fmt(x['offered'])}{mark} | "
            f"{fmt(x['accepted_per_s'])} | {fmt(x['intake_p50_ms'])} / {fmt(x['intake_p99_ms'])} ms | "
            f"{fmt(x['throughput_per_s'])} | {x['delivered']}/{x['expected']}{_joined(x)} | "
            f"{fmt(x['p50_ms'])} ms | "
            f"{fmt(x['p99_ms'])} ms | {cores} | {fmt(cpu.get('_machine'), 2)} | "
            f"{'yes' if x['sustained'] else 'no'} |"
        )
    L.append("")
    L += [
        "CPU milliseconds per delivered report (stage and drain; includes idle polling), per process:",
        "",
        "| offered/s | " + " | ".join(STACK_COLUMNS) + " | stack total |",
        "| --- |" + " --- |" * (len(STACK_COLUMNS) + 1),
    ]
    for x in all_loads(pipe):
        ms = x.get("cpu_ms_per_report", {})
        total = sum(ms.get(n, 0) for n in STACK_COLUMNS)
        L.append(
            f"| {fmt(x['offered'])} | "
            + " | ".join(fmt(ms.get(n), 2) for n in STACK_COLUMNS)
            + f" | {total:.2f} |"
        )
    L += hops_section(pipe)
    L += batches_section(all_loads(pipe))
    rtt = [(x["offered"], x.get("pg_round_trip_ms") or {}) for x in pipe["rates"]]
    if any(r.get("n") for _, r in rtt):
        L += [
            "",
            "One PostgreSQL round trip (`SELECT 1` every 50 ms from the harness) during each load: "
            + "; ".join(
                f"{fmt(o)}/s p50 {fmt(r.get('p50'), 2)} ms, p99 {fmt(r.get('p99'), 2)} ms" for o, r in rtt
            )
            + ".",
        ]
    if idle:
        L += [
            "",
            "Idle, before any load (cores): "
            + ", ".join(f"{k} {v:.2f}" for k, v in idle.items() if not k.startswith("_") and k != "harness"),
        ]
    L.append("")
    L += statements_section(pipe.get("statements"))
    L += maintenance_section(pipe.get("maintenance"))
    return L


def hops_section(pipe: dict) -> list[str]:
    """Each load's end-to-end latency cut into its hops, from the services' spans."""
    from bench.hops import HOPS

    loads = [x for x in all_loads(pipe) if x.get("hops")]
    if not loads:
        return []
    L = [
        "",
        "Where the end-to-end time goes: each report's latency cut at the edges of its spans (the "
        "intake's POST, routing's and notify's handling of its events) and at the times the load "
        "client had it due and got it a connection and the stream showed it, so the hops add up to "
        "the latency. Each cell: "
        "p50 / p99 of the hop, then in brackets the mean the slowest 1 % of reports spent in it.",
        "",
        "| offered/s | reports cut | " + " | ".join(name for name, _ in HOPS) + " | total p50 / p99 |",
        "| --- | --- |" + " --- |" * (len(HOPS) + 1),
    ]
    for x in loads:
        h = x["hops"]
        mark = f" ({fmt(x['duration_s'])} s)" if x.get("sustain_check") else ""
        L.append(
            f"| {fmt(x['offered'])}{mark} | {h['n']:,} | "
            + " | ".join(
                f"{fmt(c['p50_ms'])} / {fmt(c['p99_ms'])} ({fmt(c['tail_mean_ms'])})" for c in h["hops"]
            )
            + f" | {fmt(h['total_p50_ms'])} / {fmt(h['total_p99_ms'])} ms |"
        )
    L += ["", "The hops:", ""] + [f"- **{name}**: {what}." for name, what in HOPS]
    return L


def geometry_section(geo: dict) -> list[str]:
    """Routing geometry: lookups per second by batch."""
    L: list[str] = []
    L += [
        "## Routing geometry",
        "",
        f"JurisdictionIndex.locate_many over {geo['communities']} communities (synthetic polygons), "
        f"{geo['points']:,} random points in the district bbox; "
        f"index built in {geo['index_build_s']:.2f} s.",
        "",
        "| batch | points | lookups/s | inside a community |",
        "| --- | --- | --- | --- |",
    ]
    for x in geo["results"]:
        L.append(
            f"| {x['batch']:,} | {x['points']:,}{' (time-capped)' if x['capped'] else ''} | "
            f"{fmt(x['per_s'])} | {x['inside_share'] * 100:.0f}% |"
        )
    o = geo.get("owners")
    if o:
        L += [
            "",
            f"What routing does per batch (`Locator.owners`: locate_many plus the boundary "
            f"co-owner search within {o['co_owner_m']:.0f} m): **{fmt(o['per_s'])} points/s** "
            f"({o['points']:,} points, batches of {o['batch']}).",
        ]
    L.append("")
    return L


def sla_section(sla: dict, opts: dict) -> list[str]:
    """The SLA clock: due deadline to escalation event, ticks, EXPLAIN."""
    L: list[str] = []
    lat = sla["escalation_latency_ms"]
    ex = sla["explain"]
    L += [
        "## SLA clock",
        "",
        f"Routing schema migrated into a fresh database; {sla['open_deadlines']:,} cases and "
        f"{sla['open_deadlines']:,} open deadlines loaded with COPY "
        f"({sla['copy']['rows_per_s']:,.0f} rows/s); {sla['due']} deadlines made due over "
        f"{opts['sla_spread_s']:.0f} s; EscalationScheduler.run (interval "
        f"{sla['scheduler_interval_s']} s, SystemClock) fires them; "
        "the harness polls the outbox every 10 ms.",
        "",
        f"- due → escalation event in the outbox: p50 {fmt(lat['p50'])} ms, worst {fmt(lat['max'])} ms, "
        f"{lat['missing']} missing",
        f"- one tick with nothing due: p50 {sla['idle_tick_ms']['p50']:.2f} ms, max "
        f"{sla['idle_tick_ms']['max']:.2f} ms; one tick firing {sla['busy_tick']['due']}: "
        f"{sla['busy_tick']['ms']:.1f} ms",
        f"- EXPLAIN ANALYZE of the claim query: {fmt(ex['execution_ms'], 3)} ms, rows read by scans "
        f"{ex['rows_scanned']:,}",
        "",
        "```",
        ex["text"],
        "```",
        "",
    ]
    return L


def memory_section(peaks: dict) -> list[str]:
    """Peak resident memory per process."""
    L: list[str] = []
    L += ["## Memory", "", "| process | peak RSS |", "| --- | --- |"]
    L += [f"| {n} | {v:,.0f} MB |" for n, v in peaks.items()]
    L += [
        "",
        "postgres is the postmaster and its backends summed (shared buffers counted per process).",
        "",
    ]
    return L
