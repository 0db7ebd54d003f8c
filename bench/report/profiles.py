"""The py-spy sections of report.md: where each service's busy time goes, by activity and by frame."""

from __future__ import annotations


def activities_line(s: dict) -> str:
    """One profile's shares by activity (``bench.profile.ACTIVITIES``), largest first."""
    return "Busy time by activity: " + ", ".join(f"{a} {v * 100:.0f}%" for a, v in s.get("activities", []))


def profile_tables(s: dict) -> list[str]:
    """Activities, then own-time, callers, inclusive and per-package tables of one py-spy summary."""
    L = [activities_line(s), ""] if s.get("activities") else []
    L += ["| own time | frame |", "| --- | --- |"]
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


def profiles_of(stages: dict) -> list[dict]:
    """The pipeline's profiles: one per load sampled (results before there were two had one)."""
    if stages.get("profiles") is not None:
        return stages["profiles"]
    return [stages["profile"]] if stages.get("profile") else []


def activity_table(prof: dict) -> list[str]:
    """Each service's busy time by activity at one load, side by side."""
    services = {n: s for n, s in prof["services"].items() if s.get("activities")}
    if not services:
        return []
    names: list[str] = []
    for s in services.values():
        names += [a for a, _ in s["activities"] if a not in names]
    shares = {n: dict(s["activities"]) for n, s in services.items()}
    L = ["| activity | " + " | ".join(services) + " |", "| --- |" + " --- |" * len(services)]
    for a in names:
        cells = [f"{shares[n][a] * 100:.0f}%" if a in shares[n] else "-" for n in services]
        L.append(f"| {a} | " + " | ".join(cells) + " |")
    return [*L, ""]


def profile_section(profiles: list[dict]) -> list[str]:
    """py-spy profiles of the services under load, one subsection per load sampled."""
    L = ["## Profile (py-spy, under load)", ""]
    L += [
        "Each load is sampled by py-spy in every service (how often: each load's line); shares are of "
        "the samples where a process was busy (idle excluded). An activity is what the sampled stack "
        "was doing: its "
        "HTTP requests, a consumer's batch (its statements and logic) or faststream and aiokafka "
        "around it, the relay, tracing (spans, their export thread, trace headers), or the event "
        "loop's own native work (reading and writing sockets, running callbacks). The samplers take "
        "CPU of their own: a profiled load is not one of the measured ones, and the stack may accept "
        "less of it than was offered (each load's line says how much).",
        "",
    ]
    for prof in profiles:
        at = f"At {prof['rate']:,.0f} reports/s offered" if prof.get("rate") else "Under load"
        if "error" in prof:
            L += [f"### {at}", "", prof["error"], ""]
            continue
        row = prof["pipeline_during_profile"]
        hz = f" ({prof['hz']} samples a second)" if prof.get("hz") else ""
        others = (row.get("cpu_cores") or {}).get("others")
        if others is not None:
            hz += f"; the samplers and anything else outside the stack took {others:.2f} cores"
        L += [
            f"### {at}",
            "",
            f"Accepted {row['accepted_per_s']:,.0f}/s, delivered {row['throughput_per_s']:,.0f}/s, "
            f"e2e p99 {row['p99_ms']:,.0f} ms while sampling{hz}."
            if row.get("p99_ms") is not None
            else f"Accepted {row['accepted_per_s']:,.0f}/s while sampling{hz}, nothing delivered.",
            "",
        ]
        L += activity_table(prof)
        for name, s in prof["services"].items():
            L += [f"#### {name} ({s['samples']} samples, {s.get('busy_samples', 0)} busy)", ""]
            if s.get("error"):
                L += [f"py-spy: {s['error']}", ""]
                continue
            L += profile_tables(s)
    return L
