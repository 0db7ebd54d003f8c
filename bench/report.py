"""report.md and PNG plots from result.json: tables, targets (PASS/MISS and by how much), profile."""

from __future__ import annotations

import json
from pathlib import Path

CPU_COLUMNS = ("reports", "routing", "notify", "broker", "postgres", "load-client", "harness", "others")


def _f(v, digits: int = 0, unit: str = "") -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}{unit}"


def targets(r: dict) -> list[dict]:
    """Each target: what was measured, PASS/MISS and the margin."""
    st = r["stages"]
    out = []

    def add(name: str, measured, goal: float, higher_is_better: bool, unit: str, note: str = "") -> None:
        if measured is None:
            out.append({"target": name, "measured": None, "verdict": "NOT RUN", "margin": "", "note": note})
            return
        ok = measured >= goal if higher_is_better else measured < goal
        if higher_is_better:
            margin = f"{(measured / goal - 1) * 100:+.0f}% vs goal" if goal else ""
        else:
            margin = (
                f"{(goal - measured) / goal * 100:+.0f}% headroom"
                if ok
                else f"{(measured / goal - 1) * 100:.0f}% over"
            )
        out.append(
            {
                "target": name,
                "measured": f"{measured:,.1f} {unit}".strip(),
                "verdict": "PASS" if ok else "MISS",
                "margin": margin,
                "note": note,
            }
        )

    pipe = st.get("pipeline")
    add(
        "pipeline sustains ≥ 2,000 reports/s",
        pipe and pipe["sustainable_per_s"],
        2000,
        True,
        "reports/s",
        "highest offered load held (≥95% accepted, ≥99% on the stream, throughput ≥90% of offered, "
        "p99 ≤ 1 s)"
        + (" — lower bound, every load held" if pipe and pipe["sustainable_is_lower_bound"] else ""),
    )
    at1000 = next((x for x in (pipe or {}).get("rates", []) if x["offered"] == 1000), None)
    add(
        "pipeline p99 < 500 ms at 1,000 reports/s",
        at1000 and at1000["p99_ms"],
        500,
        False,
        "ms",
        "intake request to the notification on the dashboard stream",
    )
    pt = st.get("passthrough")
    if pipe and pt:
        pt_max = max(x["msgs_per_s"] for x in pt["rates"])
        ratio = pipe["max_throughput_per_s"] / pt_max * 100 if pt_max else None
        add(
            "pipeline ≥ 30% of Kafka pass-through",
            ratio,
            30,
            True,
            "%",
            f"pipeline {pipe['max_throughput_per_s']:,.0f}/s vs pass-through {pt_max:,.0f} msg/s "
            "(best of all "
            "offered loads, including the pass-through ceiling probe)",
        )
    else:
        add("pipeline ≥ 30% of Kafka pass-through", None, 30, True, "%")
    it = st.get("intake")
    if it and it["bare_max_per_s"]:
        add(
            "intake ≥ 50% of the bare endpoint",
            it["max_accepted_per_s"] / it["bare_max_per_s"] * 100,
            50,
            True,
            "%",
            f"intake {it['max_accepted_per_s']:,.0f}/s vs bare {it['bare_max_per_s']:,.0f}/s; "
            + _cpu_ratio(it),
        )
    else:
        add("intake ≥ 50% of the bare endpoint", None, 50, True, "%")
    geo = st.get("geometry")
    best = max((x for x in (geo or {}).get("results", [])), key=lambda x: x["batch"], default=None)
    add(
        "geometry ≥ 200,000 lookups/s",
        best and best["per_s"],
        200_000,
        True,
        "lookups/s",
        f"batch {best['batch']:,} (JurisdictionIndex.locate_many)" if best else "",
    )
    sla = st.get("sla")
    lat = sla and sla["escalation_latency_ms"]
    worst = None
    if lat:
        worst = lat["max"] if not lat["missing"] else float("inf")
    add(
        "escalation within 2 s of the deadline at 1,000,000 open deadlines",
        worst,
        2000,
        False,
        "ms",
        f"{sla['open_deadlines']:,} open deadlines, worst of {sla['due']}"
        + ("" if sla["open_deadlines"] >= 1_000_000 else " — FEWER than 1,000,000 (quick run)")
        if sla
        else "",
    )
    peaks = r.get("memory", {}).get("peak_rss_mb", {})
    for name in ("reports", "routing", "notify"):
        add(
            f"{name} < 200 MB RSS", peaks.get(name), 200, False, "MB", "peak, sampled every 0.25 s under load"
        )
    return out


def _plots(r: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    st = r["stages"]
    pipe, pt, it = st.get("pipeline"), st.get("passthrough"), st.get("intake")
    if pipe or pt:
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
        if pt:
            xs = [x["offered"] for x in pt["rates"]]
            a.plot(xs, [x["msgs_per_s"] for x in pt["rates"]], "o-", label="Kafka pass-through (2 hops)")
            b.plot(xs, [x["p50_ms"] for x in pt["rates"]], "o--", label="pass-through p50")
            b.plot(xs, [x["p99_ms"] for x in pt["rates"]], "o-", label="pass-through p99")
        if pipe:
            xs = [x["offered"] for x in pipe["rates"]]
            a.plot(xs, [x["throughput_per_s"] for x in pipe["rates"]], "s-", label="pipeline (to dashboard)")
            a.plot(xs, [x["accepted_per_s"] for x in pipe["rates"]], "^:", label="intake accepted")
            b.plot(xs, [x["p50_ms"] for x in pipe["rates"]], "s--", label="pipeline p50")
            b.plot(xs, [x["p99_ms"] for x in pipe["rates"]], "s-", label="pipeline p99")
        offered = [x["offered"] for x in [*(pipe or {}).get("rates", []), *(pt or {}).get("rates", [])]]
        a.plot(
            [min(offered), max(offered)], [min(offered), max(offered)], color="grey", lw=0.8, label="offered"
        )
        a.set_xscale("log")
        a.set_yscale("log")
        b.set_xscale("log")
        a.set(xlabel="offered per second", ylabel="delivered per second", title="Throughput")
        b.set(xlabel="offered per second", ylabel="ms", yscale="log", title="Latency (end to end)")
        a.legend(fontsize=8)
        b.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "pipeline.png", dpi=110)
        plt.close(fig)
        made.append("pipeline.png")
    if it:
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
        for key, label, mark in (
            ("reports", "POST /reports (DB + outbox)", "o-"),
            ("bare", "bare endpoint", "s-"),
        ):
            rows = it["rates"][key]
            xs = [x["offered"] for x in rows]
            a.plot(xs, [x["accepted_per_s"] for x in rows], mark, label=label)
            b.plot(xs, [x["p99_ms"] for x in rows], mark, label=f"{label} p99")
            b.plot(xs, [x["p50_ms"] for x in rows], mark.replace("-", "--"), label=f"{label} p50")
        top = max(x["offered"] for x in it["rates"]["reports"])
        a.plot([0, top], [0, top], color="grey", lw=0.8, label="offered")
        a.set(xlabel="offered requests/s", ylabel="answered 2xx/s", title="Intake")
        b.set(xlabel="offered requests/s", ylabel="ms", yscale="log", title="Intake latency")
        a.legend(fontsize=8)
        b.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "intake.png", dpi=110)
        plt.close(fig)
        made.append("intake.png")
    series = r.get("memory", {}).get("series", {})
    if series:
        fig, ax = plt.subplots(figsize=(11, 4))
        for name, pts in series.items():
            if name == "postgres" or not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=name)
        ax.axhline(200, color="red", lw=0.8, ls="--", label="200 MB target")
        ax.set(xlabel="seconds since start", ylabel="RSS MB", title="Resident memory")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "memory.png", dpi=110)
        plt.close(fig)
        made.append("memory.png")
    geo = st.get("geometry")
    if geo:
        fig, ax = plt.subplots(figsize=(6, 4))
        labels = [f"batch {x['batch']:,}" for x in geo["results"]]
        ax.bar(labels, [x["per_s"] for x in geo["results"]])
        ax.axhline(200_000, color="red", lw=0.8, ls="--", label="200k target")
        ax.set(ylabel="lookups/s", yscale="log", title=f"locate_many over {geo['communities']} communities")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "geometry.png", dpi=110)
        plt.close(fig)
        made.append("geometry.png")
    return made


def _profile_tables(s: dict) -> list[str]:
    L = ["| own time | frame |", "| --- | --- |"]
    L += [f"| {v * 100:.1f}% | `{f}` |" for f, v in s["self"][:8]]
    L.append("")
    for leaf, cs in s.get("callers", {}).items():
        L.append(f"- `{leaf}` called from: " + "; ".join(f"`{c}` {v * 100:.0f}%" for c, v in cs))
    L += ["", "| inclusive | frame |", "| --- | --- |"]
    L += [f"| {v * 100:.1f}% | `{f}` |" for f, v in s["inclusive"][:10]]
    L += [
        "",
        "By package (leaf frame): " + ", ".join(f"{p} {v * 100:.0f}%" for p, v in s["packages"][:6]),
        "",
    ]
    return L


def _cpu_ratio(it: dict) -> str:
    def best(rows: list[dict]) -> float | None:
        vals = [r["server_cpu_ms_per_request"] for r in rows if r.get("server_cpu_ms_per_request")]
        return min(vals) if vals else None

    a, b = best(it["rates"]["reports"]), best(it["rates"]["bare"])
    if not a or not b:
        return ""
    return f"CPU per request {a:.2f} ms vs {b:.2f} ms: on equal CPU intake reaches {b / a * 100:.0f}% of bare"


def write_report(r: dict, out: Path) -> None:
    """report.md (and plots) next to result.json."""
    try:
        plots = _plots(r, out)
    except ImportError:
        plots = None
    st = r["stages"]
    opts = r["options"]
    L: list[str] = []
    L += [f"# nuanxin benchmark {r['started_at'][:19]}Z", ""]
    if opts.get("quick"):
        L += ["**Quick run**: a few seconds per stage, to check the harness. Do not quote these numbers.", ""]
    m = r["machine"]
    L += [
        f"- machine: {m['cpus']} CPUs, {m['memory_gb']} GB, Python {m['python']}, load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_avg_at_start'])}",
        f"- broker: {r.get('broker', '-')}; PostgreSQL: {r.get('database_server', '-')}",
        "- services as separate processes (`python -m nuanxin run --target X`), "
        f"namespace `{r['namespace']}`, "
        f"NUANXIN_FETCH_MAX_WAIT_MS={opts['fetch_max_wait_ms']}",
        f"- whole run: {r.get('duration_s', 0):.0f} s",
        "",
    ]

    L += [
        "## Targets",
        "",
        "| target | measured | verdict | margin | how |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in targets(r):
        L.append(
            f"| {t['target']} | {t['measured'] or '-'} | **{t['verdict']}** | {t['margin']} | {t['note']} |"
        )
    L.append("")

    pt = st.get("passthrough")
    if pt:
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
                f"| {_f(x['offered'])}{' (ceiling probe)' if x.get('ceiling') else ''} | "
                f"{_f(x['msgs_per_s'])} | "
                f"{x['received']}/{x['sent']} | "
                f"{_f(x['p50_ms'], 1)} ms | {_f(x['p99_ms'], 1)} ms | {_f(x['hop_p50_ms'], 1)} ms | "
                f"{_f(x['hop_p99_ms'], 1)} ms |"
            )
        L.append("")
    pipe = st.get("pipeline")
    if pipe:
        L += [
            "## Pipeline: intake to the dashboard stream",
            "",
            "Open-loop POST /reports (latency from each request's scheduled time) → reports → routing → "
            "notify → GET /notify/stream as district staff; matched by report_id. Reports that joined an "
            'open case ("me too") never reach the feed and are left out of the count.',
            "",
            f"Highest sustainable rate: **{_f(pipe['sustainable_per_s'])} reports/s**"
            f"{' (lower bound)' if pipe['sustainable_is_lower_bound'] else ''}; best delivered throughput "
            f"{_f(pipe['max_throughput_per_s'])} reports/s.",
            "",
            "| offered/s | accepted/s | intake p50 / p99 | delivered/s | on stream / expected | e2e p50 |"
            " e2e p99 |"
            " CPU cores (reports / routing / notify / broker / postgres / load client / harness / others)"
            " | held |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for x in pipe["rates"]:
            cpu = x.get("cpu_cores", {})
            cores = " / ".join(_f(cpu.get(n), 2) for n in CPU_COLUMNS)
            L.append(
                f"| {_f(x['offered'])}{' (refine)' if x.get('refinement') else ''} | "
                f"{_f(x['accepted_per_s'])} | {_f(x['intake_p50_ms'])} / {_f(x['intake_p99_ms'])} ms | "
                f"{_f(x['throughput_per_s'])} | {x['delivered']}/{x['expected']} | {_f(x['p50_ms'])} ms | "
                f"{_f(x['p99_ms'])} ms | {cores} | {'yes' if x['sustained'] else 'no'} |"
            )
        L.append("")
        L += [
            "CPU milliseconds per delivered report (stage and drain; includes idle polling), per process:",
            "",
            "| offered/s | " + " | ".join(CPU_COLUMNS[:5]) + " | stack total |",
            "| --- |" + " --- |" * 6,
        ]
        for x in pipe["rates"]:
            ms = x.get("cpu_ms_per_report", {})
            total = sum(ms.get(n, 0) for n in CPU_COLUMNS[:5])
            L.append(
                f"| {_f(x['offered'])} | "
                + " | ".join(_f(ms.get(n), 2) for n in CPU_COLUMNS[:5])
                + f" | {total:.2f} |"
            )
        rtt = [(x["offered"], x.get("pg_round_trip_ms") or {}) for x in pipe["rates"]]
        if any(r.get("n") for _, r in rtt):
            L += [
                "",
                "One PostgreSQL round trip (`SELECT 1` every 50 ms from the harness) during each load: "
                + "; ".join(
                    f"{_f(o)}/s p50 {_f(r.get('p50'), 2)} ms, p99 {_f(r.get('p99'), 2)} ms" for o, r in rtt
                )
                + ".",
            ]
        idle = st.get("idle_cpu_cores")
        if idle:
            L += [
                "",
                "Idle, before any load (cores): "
                + ", ".join(
                    f"{k} {v:.2f}" for k, v in idle.items() if not k.startswith("_") and k != "harness"
                ),
            ]
        L.append("")
    it = st.get("intake")
    if it:
        L += [
            "## Intake beside its limit",
            "",
            "POST /reports on the reports service alone (routing and notify stopped; JWT check, validation, "
            "one transaction with the report row and the outbox row, relay to Kafka), then a bare FastAPI "
            "endpoint on the same uvicorn parsing the same pydantic model and answering 201.",
            "",
            "Server CPU ms per answered request is the server process's CPU time over the stage divided by "
            "its 2xx answers: it does not depend on how much CPU other processes left over.",
            "",
            "| offered/s | intake 2xx/s | intake p50 / p99 | intake CPU ms/req | bare 2xx/s |"
            " bare p50 / p99 | bare CPU ms/req | intake statuses |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        ceiling = opts.get("intake_ceiling") or []
        for a, b in zip(it["rates"]["reports"], it["rates"]["bare"], strict=False):
            L.append(
                f"| {_f(a['offered'])}{' (ceiling probe)' if a['offered'] in ceiling else ''} | "
                f"{_f(a['accepted_per_s'])} | {_f(a['p50_ms'])} / {_f(a['p99_ms'])} ms | "
                f"{_f(a.get('server_cpu_ms_per_request'), 2)} |"
                f" {_f(b['accepted_per_s'])} | {_f(b['p50_ms'])} / {_f(b['p99_ms'])} ms |"
                f" {_f(b.get('server_cpu_ms_per_request'), 2)} | {a['statuses']} |"
            )
        L.append("")
        ip = st.get("intake_profile")
        if ip and ip.get("busy_samples"):
            L += [
                f"py-spy on reports alone at {ip['rate']:.0f} requests/s "
                f"({ip['busy_samples']} busy samples):",
                "",
            ]
            L += _profile_tables(ip)
    geo = st.get("geometry")
    if geo:
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
                f"{_f(x['per_s'])} | {x['inside_share'] * 100:.0f}% |"
            )
        o = geo.get("owners")
        if o:
            L += [
                "",
                f"What routing does per batch (`Locator.owners`: locate_many plus a per-point boundary "
                f"co-owner search within {o['co_owner_m']:.0f} m): **{_f(o['per_s'])} points/s** "
                f"({o['points']:,} points, batches of {o['batch']}).",
            ]
        L.append("")
    sla = st.get("sla")
    if sla:
        lat = sla["escalation_latency_ms"]
        ex = sla["explain"]
        L += [
            "## SLA clock",
            "",
            f"Routing schema migrated into a fresh database; {sla['open_deadlines']:,} cases and "
            f"{sla['open_deadlines']:,} open deadlines loaded with COPY "
            f"({sla['copy']['rows_per_s']:,.0f} rows/s); {sla['due']} deadlines made due over "
            f"{r['options']['sla_spread_s']:.0f} s; EscalationScheduler.run (interval "
            f"{sla['scheduler_interval_s']} s, SystemClock) fires them; "
            "the harness polls the outbox every 10 ms.",
            "",
            f"- due → escalation event in the outbox: p50 {_f(lat['p50'])} ms, worst {_f(lat['max'])} ms, "
            f"{lat['missing']} missing",
            f"- one tick with nothing due: p50 {sla['idle_tick_ms']['p50']:.2f} ms, max "
            f"{sla['idle_tick_ms']['max']:.2f} ms; one tick firing {sla['busy_tick']['due']}: "
            f"{sla['busy_tick']['ms']:.1f} ms",
            f"- EXPLAIN ANALYZE of the claim query: {_f(ex['execution_ms'], 3)} ms, rows read by scans "
            f"{ex['rows_scanned']:,}",
            "",
            "```",
            ex["text"],
            "```",
            "",
        ]
    peaks = r.get("memory", {}).get("peak_rss_mb", {})
    if peaks:
        L += ["## Memory", "", "| process | peak RSS |", "| --- | --- |"]
        L += [f"| {n} | {v:,.0f} MB |" for n, v in peaks.items()]
        L += [
            "",
            "postgres is the postmaster and its backends summed (shared buffers counted per process).",
            "",
        ]
    prof = st.get("profile")
    if prof:
        L += ["## Profile (py-spy, under load)", ""]
        if "error" in prof:
            L.append(prof["error"])
        else:
            row = prof["pipeline_during_profile"]
            L += [
                f"Offered {prof['rate']:.0f} reports/s while sampling; "
                f"accepted {_f(row['accepted_per_s'])}/s, "
                f"delivered {_f(row['throughput_per_s'])}/s. Shares are of samples where the process was "
                "busy (idle excluded).",
                "",
            ]
            for name, s in prof["services"].items():
                L += [f"### {name} ({s['samples']} samples, {s.get('busy_samples', 0)} busy)", ""]
                if s.get("error"):
                    L += [f"py-spy: {s['error']}", ""]
                    continue
                L += _profile_tables(s)
    L += ["## Faults", ""]
    faults = r.get("faults")
    if not faults:
        L += [
            "No fault-suite results (tests/faults writes test-artifacts/faults.json: reports driven, faults "
            "injected, lost, duplicated). Run the fault suite, then the benchmark, to show them here.",
            "",
        ]
    elif "error" in faults:
        L += [f"{faults['path']}: unreadable ({faults['error']})", ""]
    else:
        data = faults["data"]
        L += [f"From `{faults['path']}`:", ""]
        if isinstance(data, dict) and all(not isinstance(v, dict | list) for v in data.values()):
            L += ["| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in data.items()]
        else:
            L += ["```json", json.dumps(data, indent=1, ensure_ascii=False)[:4000], "```"]
        L.append("")
    if plots is None:
        L += ["## Plots", "", "Not drawn: matplotlib is not installed (`uv pip install matplotlib`).", ""]
    elif plots:
        L += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    (out / "report.md").write_text("\n".join(L), encoding="utf-8")
