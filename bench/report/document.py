"""report.md itself: the run's header, the targets, each stage's section, the faults, the plots."""

from __future__ import annotations

from pathlib import Path

from bench.report.bounds import bounds_section
from bench.report.faults import faults_section
from bench.report.header import busy_machine_line, environment_line, yardstick_line
from bench.report.intake import intake_section
from bench.report.plots import draw_plots
from bench.report.profiles import profile_section, profiles_of
from bench.report.tables import (
    geometry_section,
    memory_section,
    passthrough_section,
    pipeline_section,
    sla_section,
)
from bench.report.targets import targets


def write_report(r: dict, out: Path) -> None:
    """report.md (and plots) next to result.json."""
    try:
        plots = draw_plots(r, out)
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
        f"NUANXIN_FETCH_MAX_WAIT_MS={opts['fetch_max_wait_ms']}"
        + (f", NUANXIN_TOPIC_PARTITIONS={r['topic_partitions']}" if r.get("topic_partitions") else ""),
        f"- whole run: {r.get('duration_s', 0):.0f} s; code: commit {r.get('commit') or 'unknown'}",
    ]
    for line in (
        environment_line(r.get("environment")),
        yardstick_line(r.get("yardstick", [])),
        busy_machine_line(r["stages"].get("idle_cpu_cores")),
    ):
        if line:
            L.append(line)
    L.append("")

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
    L += bounds_section(r)

    pt = st.get("passthrough")
    if pt:
        L += passthrough_section(pt)
    pipe = st.get("pipeline")
    if pipe:
        L += pipeline_section(pipe, st.get("idle_cpu_cores"))
    it = st.get("intake")
    if it:
        L += intake_section(it, opts, st.get("intake_profile"))
    geo = st.get("geometry")
    if geo:
        L += geometry_section(geo)
    sla = st.get("sla")
    if sla:
        L += sla_section(sla, opts)
    peaks = r.get("memory", {}).get("peak_rss_mb", {})
    if peaks:
        L += memory_section(peaks)
    profiles = profiles_of(st)
    if profiles:
        L += profile_section(profiles)
    L += faults_section(r.get("faults"), r.get("commit"))
    if plots is None:
        L += ["## Plots", "", "Not drawn: matplotlib is not installed (`uv pip install matplotlib`).", ""]
    elif plots:
        L += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    (out / "report.md").write_text("\n".join(L), encoding="utf-8")
