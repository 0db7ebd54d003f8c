"""PNG plots of throughput, latency, memory and geometry, drawn next to report.md."""

from __future__ import annotations

from pathlib import Path

from bench.report.tables import all_loads


def draw_plots(r: dict, out: Path) -> list[str]:
    """Draw the plots the result has data for; returns the file names made."""
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
    if pipe and any(x.get("timeline") for x in pipe["rates"]):
        fig, ax = plt.subplots(figsize=(11, 4))
        for x in sorted(pipe["rates"], key=lambda x: x["offered"]) + pipe.get("sustain_checks", []):
            line = x.get("timeline") or []
            if line:
                ax.plot(
                    [p["second"] for p in line],
                    [p["p99_ms"] for p in line],
                    "-" if x.get("sustain_check") else ":",
                    label=f"{x['offered']:,.0f}/s p99"
                    + (f", {x['duration_s']:.0f} s" if x.get("sustain_check") else ""),
                )
        ax.axhline(1000, color="grey", lw=0.8, ls="--", label="1 s (held)")
        ax.set(
            xlabel="second of the stage (request due)",
            ylabel="ms",
            yscale="log",
            title="End-to-end p99 through each stage",
        )
        ax.legend(fontsize=8, ncol=2)
        fig.tight_layout()
        fig.savefig(out / "pipeline_timeline.png", dpi=110)
        plt.close(fig)
        made.append("pipeline_timeline.png")
    cut = [x for x in all_loads(pipe) if x.get("hops")]
    if cut:
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        labels = [
            f"{x['offered']:,.0f}/s" + (f", {x['duration_s']:.0f} s" if x.get("sustain_check") else "")
            for x in cut
        ]
        for ax, key, title in ((a, "p50_ms", "p50 of each hop"), (b, "tail_mean_ms", "the slowest 1 %")):
            left = [0.0] * len(cut)
            for i, name in enumerate(h["hop"] for h in cut[0]["hops"]["hops"]):
                widths = [x["hops"]["hops"][i][key] or 0.0 for x in cut]
                ax.barh(labels, widths, left=left, label=name)
                left = [lo + w for lo, w in zip(left, widths, strict=True)]
            ax.set(xlabel="ms", title=f"Where the end-to-end time goes: {title}")
        a.invert_yaxis()
        b.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "pipeline_hops.png", dpi=110)
        plt.close(fig)
        made.append("pipeline_hops.png")
    if it:
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
        colours: dict[str, str] = {}
        for key, label, mark in (
            ("reports", "POST /reports (DB + outbox)", "o-"),
            ("bare", "bare endpoint", "s-"),
        ):
            rows = it["rates"][key]
            xs = [x["offered"] for x in rows]
            (line,) = a.plot(xs, [x["accepted_per_s"] for x in rows], mark, label=label)
            colours[key] = line.get_color()
            b.plot(xs, [x["p99_ms"] for x in rows], mark, label=f"{label} p99")
            b.plot(xs, [x["p50_ms"] for x in rows], mark.replace("-", "--"), label=f"{label} p50")
        pairs = it.get("pairs") or []
        marks = (("reports", "POST /reports, pairs past its limit", "x"),
                 ("bare", "bare endpoint, pairs past its limit", "+"))
        for key, label, mark in marks if pairs else ():
            a.plot([p[key]["offered"] for p in pairs], [p[key]["accepted_per_s"] for p in pairs],
                   mark, ms=9, color=colours[key], label=label)
        top = max(
            [x["offered"] for rows in it["rates"].values() for x in rows]
            + [p[key]["offered"] for p in pairs for key in ("reports", "bare")]
        )
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
