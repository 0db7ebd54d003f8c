"""The report's intake section: intake beside the bare endpoint, the pairs that judge it, and py-spy
on intake alone."""

from __future__ import annotations

from itertools import zip_longest

from bench.limits import counted, kept_up
from bench.report.profiles import profile_tables
from bench.report.tables import fmt
from bench.report.targets import request_cpu_ms


def intake_section(it: dict, opts: dict, ip: dict | None) -> list[str]:
    """Intake beside a bare endpoint, and py-spy on intake alone."""
    L: list[str] = []
    L += [
        "## Intake beside its limit",
        "",
        "POST /reports on the reports service alone (routing and notify stopped; JWT check, validation, "
        "the report row and its outbox row committed with the reports that arrived with it (group "
        "commit), relay to Kafka"
        + (" from a process of its own" if opts.get("reports_relay", "in-service") == "separate" else "")
        + "), and on a bare FastAPI "
        "endpoint on the same uvicorn parsing the same pydantic model and answering 201. Both servers "
        "are up together and each offered load goes to one and then the other (the order alternating "
        "from load to load), so both sides of a row are measured in the same minute. Then each server "
        "alone is offered more loads until its limit is measured: half as much again while it keeps "
        "up with the highest (95 % answered), then between the highest it kept up with and the "
        "lowest it fell behind at, halving the gap until they are a tenth apart (rows marked "
        "\"only\").",
        "",
        "Server CPU ms per answered request is the server process's CPU time over the stage divided by "
        "its 2xx answers: it does not depend on how much CPU other processes left over. "
        "Where a relay process publishes intake's outbox (`nuanxin relay`, the bench's default), "
        "intake's figure adds that process's CPU over the same seconds (what it publishes after "
        "the load's last answer, the rows of its last linger, falls outside), and says how much "
        "of it was the relay's.",
        "",
        "| offered/s | intake 2xx/s | intake p50 / p99 | intake CPU ms/req | bare 2xx/s |"
        " bare p50 / p99 | bare CPU ms/req | intake statuses |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    ceiling = opts.get("intake_ceiling") or []
    for offered, a, b in _intake_rows(it["rates"]):
        probe = (
            " (bare endpoint only)" if not a
            else " (intake only)" if not b
            else " (ceiling probe)" if offered in ceiling
            else ""
        )
        L.append(
            f"| {fmt(offered)}{probe} | "
            f"{fmt(a.get('accepted_per_s'))} | {fmt(a.get('p50_ms'))} / {fmt(a.get('p99_ms'))} ms | "
            f"{_cpu(a)} |"
            f" {fmt(b.get('accepted_per_s'))} | {fmt(b.get('p50_ms'))} / {fmt(b.get('p99_ms'))} ms |"
            f" {fmt(b.get('server_cpu_ms_per_request'), 2)} | {a.get('statuses', '-')} |"
        )
    L.append("")
    L += _pairs_table(it.get("pairs") or [], it["rates"])
    nc = it.get("new_connections")
    if nc:
        L += [
            f"**New connections to a busy intake.** {nc['burst']} connections opened at once two seconds "
            f"into a load of {fmt(nc['rate'])}/s on intake (80 % of its best above), one report "
            f"each, beside one report on each of {nc['open']} connections opened before the load: "
            f"the new ones answered in {fmt(nc['new_answer_p50_ms'])} / "
            f"{fmt(nc['new_answer_p90_ms'])} / {fmt(nc['new_answer_max_ms'])} ms (p50 / p90 / max, "
            f"from connected; connecting took {fmt(nc['new_connect_p50_ms'])} ms p50), the open ones in "
            f"{fmt(nc['open_answer_p50_ms'])} ms p50, {fmt(nc['open_answer_max_ms'])} max; "
            f"statuses {nc['new_statuses']}. The load itself: {fmt(nc['load']['accepted_per_s'])}/s, "
            f"p50 / p99 {fmt(nc['load']['p50_ms'])} / {fmt(nc['load']['p99_ms'])} ms.",
            "",
        ]
    if ip and ip.get("busy_samples"):
        L += [
            f"py-spy on reports alone at {ip['rate']:.0f} requests/s ({ip['busy_samples']} busy samples):",
            "",
        ]
        L += profile_tables(ip)
    return L


def _pairs_table(pairs: list[dict], rates: dict[str, list[dict]]) -> list[str]:
    """The pairs the intake target is judged by, one row each, in the order run."""
    if not pairs:
        return []
    best = max((r["accepted_per_s"] for r in rates.get("reports", [])), default=0.0)
    over = f" ({pairs[0]['reports']['offered'] / best * 100 - 100:.0f} % more)" if best else ""
    L = [
        "**Past their limits, pair by pair.** Then each server is offered a load past the most it "
        f"answered a second above{over}, one right after the other, the order alternating: the two "
        "rates of a pair are measured seconds apart, where each side's best row above may come from "
        "another minute of a machine whose speed moves. The target reads the median of the counted "
        "pairs' ratios. A rate marked * kept up with its load (95 % answered): that minute the "
        "server could have answered more, and its pair is not counted.",
        "",
        "| pair | first | intake offered/s | intake 2xx/s | intake CPU ms/req | bare offered/s | bare 2xx/s "
        "| bare CPU ms/req | intake / bare | counted |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, p in enumerate(pairs, 1):
        a, b = p["reports"], p["bare"]
        first = {"reports": "intake", "bare": "bare"}.get(p.get("first"), "-")
        L.append(
            f"| {i} | {first} | {fmt(a['offered'])} | {fmt(a['accepted_per_s'])}{_star(a)} | "
            f"{_cpu(a)} | {fmt(b['offered'])} | "
            f"{fmt(b['accepted_per_s'])}{_star(b)} | {fmt(b.get('server_cpu_ms_per_request'), 2)} | "
            f"{fmt(p.get('ratio'), 1, ' %')} | {'yes' if counted(p) else 'no'} |"
        )
    L.append("")
    return L


def _cpu(row: dict) -> str:
    """Intake's CPU ms a request; with a relay process, the sum and then the relay's share of it."""
    relay = row.get("relay_cpu_ms_per_request")
    total = fmt(request_cpu_ms(row), 2)
    return total if relay is None else f"{total} ({fmt(relay, 2)} relay)"


def _star(row: dict) -> str:
    """* when a server kept up with its load: not saturated, its rate a lower bound."""
    return "*" if kept_up(row) else ""


def _intake_rows(rates: dict[str, list[dict]]) -> list[tuple[float, dict, dict]]:
    """The table's rows in the order of the load offered: intake's and the bare endpoint's sides of
    each load both were offered, then one row for each load a server was offered alone (its own
    load past the fixed ones; or, in results before those were marked, a load the other lacks)."""
    paired: dict[float, dict[str, list[dict]]] = {}
    alone: list[tuple[float, dict, dict]] = []
    for side in ("reports", "bare"):
        for x in rates[side]:
            if x.get("own_load"):
                alone.append((x["offered"], x, {}) if side == "reports" else (x["offered"], {}, x))
            else:
                paired.setdefault(x["offered"], {"reports": [], "bare": []})[side].append(x)
    rows = [
        (offered, a, b)
        for offered, sides in paired.items()
        for a, b in zip_longest(sides["reports"], sides["bare"], fillvalue={})
    ]
    return sorted(rows + alone, key=lambda row: row[0])
