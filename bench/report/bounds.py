"""What bounds each missed target, worked out from the run's own figures.

The targets table says by how much a target was missed; this says why, in numbers a reader can
check against the tables below it: the CPU a report costs each process and what that allows on
this machine's cores, the hop and the batch cycles the slowest reports waited on, and what the
HTTP server alone can answer.
"""

from __future__ import annotations

from bench import sustain
from bench.limits import counted
from bench.report.profiles import profiles_of
from bench.report.tables import all_loads
from bench.report.targets import cpu_per_request, judged_at_1000, slowest_hop, targets

STACK = ("reports", "relay", "postgres", "routing", "notify", "broker")  # relay: when separate
SERVICES = ("reports", "routing", "notify")
BENCH_OWN = ("load-client", "harness")  # "others" is what ran outside the benchmark
GOAL_PER_S = 2000.0
P99_RATE = 1000.0
PASS_THROUGH_SHARE = 0.30
CONSUMER = {"reports": "intake's case follower"}
QUEUED_HOPS = ("for a connection", "to intake")
GREW_CORES = 0.03  # a process whose CPU grew by less between two loads is not named


def bounds_section(r: dict) -> list[str]:
    """"What bounds the missed targets", one item per missed pipeline or intake target; [] if none."""
    st = r["stages"]
    missed = {t["target"] for t in targets(r) if t["verdict"] == "MISS"}
    cores = r["machine"]["cpus"]
    pipe = st.get("pipeline")
    items: list[str] = []
    best = None
    if pipe and all_loads(pipe):
        best = max(all_loads(pipe), key=lambda x: x["throughput_per_s"])
        if "pipeline sustains ≥ 2,000 reports/s" in missed:
            items.append(_throughput(best, cores, _throughput_profile(pipe, profiles_of(st)), pipe))
        if "pipeline p99 < 500 ms at 1,000 reports/s" in missed:
            items.append(_latency(pipe, cores))
    if "pipeline ≥ 30% of Kafka pass-through" in missed:
        items.append(_pass_through(st, best, cores))
    if "intake ≥ 50% of the bare endpoint" in missed:
        items.append(_intake(st))
    items = [i for i in items if i]
    if not items:
        return []
    return ["## What bounds the missed targets", "", *items, ""]


def per_report_ms(load: dict) -> dict[str, float]:
    """Each process's CPU over a load divided by the reports it delivered a second: ms a report."""
    thr = load.get("throughput_per_s") or 0.0
    cores = load.get("cpu_cores") or {}
    return {k: v * 1000 / thr for k, v in cores.items() if not k.startswith("_")} if thr else {}


def cpu_ceiling(load: dict, cores: int) -> float | None:
    """Reports/s the cores left by processes outside the benchmark allow, at the CPU the stack and
    the benchmark's own clients spent per report in ``load``."""
    per = per_report_ms(load)
    spent = _ms(per, STACK + BENCH_OWN)
    free = cores - (load.get("cpu_cores") or {}).get("others", 0.0)
    return free * 1000 / spent if spent else None


def _ms(per: dict, names: tuple[str, ...]) -> float:
    return sum(per.get(n, 0.0) for n in names)


def _top_activities(profile: dict | None, service: str, n: int = 3) -> str:
    acts = ((profile or {}).get("services", {}).get(service) or {}).get("activities") or []
    return ", ".join(f"{a} {v * 100:.0f}%" for a, v in acts[:n])


def _usable(profiles: list[dict]) -> list[dict]:
    return [p for p in profiles if p.get("services") and p.get("rate")]


def _throughput_profile(pipe: dict, profiles: list[dict]) -> dict | None:
    """The profile at the lowest load not held (what the profile stage takes for the throughput
    target), else the one at the highest load profiled."""
    usable = _usable(profiles)
    unheld = [r["offered"] for r in pipe.get("rates", []) if not r.get("sustained")]
    at = [p for p in usable if unheld and p["rate"] == min(unheld)]
    return at[0] if at else max(usable, key=lambda p: p["rate"], default=None)


def _while_sampled(profile: dict) -> str:
    row = profile.get("pipeline_during_profile") or {}
    accepted = row.get("accepted_per_s")
    return f" ({accepted:,.0f}/s accepted while sampled)" if accepted is not None else ""


def _at_goal(pipe: dict, cores: int) -> str:
    """What the longest load that failed at the goal rate or above cost a report, what the machine
    allows at that cost, and which conditions it missed; "" if no such load was measured.

    The best delivered rate usually comes from the largest batches, where a report costs least;
    the load that decides the target is at the goal rate, usually the 30-s check.
    """
    failed = [
        x for x in all_loads(pipe)
        if not x.get("sustained") and x["offered"] >= GOAL_PER_S and x.get("throughput_per_s")
    ]
    if not failed:
        return ""
    load = min(failed, key=lambda x: (-x.get("duration_s", 0.0), x["offered"]))
    per = per_report_ms(load)
    stack, own = _ms(per, STACK), _ms(per, BENCH_OWN)
    if not stack:
        return ""
    ceiling = cpu_ceiling(load, cores) or 0.0
    text = (
        f"Over the {load.get('duration_s', 0.0):.0f}-s load at {load['offered']:,.0f}/s offered, with "
        f"the machine {(load.get('cpu_cores') or {}).get('_machine', 0):.2f} cores busy, a delivered "
        f"report cost the stack {stack:.2f} ms and the bench {own:.2f} ms: at that cost the cores "
        f"deliver at most {ceiling:,.0f} reports/s"
    )
    below = ceiling < load["offered"]
    text += ", fewer than offered, so at that load the CPU does bound it. " if below else ". "
    misses = sustain.misses(load)
    return text + (f"The check failed on: {', '.join(misses)}. " if misses else "")


def _throughput(best: dict, cores: int, profile: dict | None, pipe: dict) -> str:
    per = per_report_ms(best)
    stack = _ms(per, STACK)
    if not stack:
        return ""
    own = _ms(per, BENCH_OWN)
    others = (best.get("cpu_cores") or {}).get("others", 0.0)
    ceiling = cpu_ceiling(best, cores) or 0.0
    parts = ", ".join(
        f"{n} {per.get(n, 0.0):.2f}" for n in sorted(STACK, key=lambda n: -per.get(n, 0.0)) if n in per
    )
    text = (
        f"- **Throughput.** The best delivered rate, {best['throughput_per_s']:,.0f}/s, came at "
        f"{best['offered']:,.0f}/s offered, with the machine {best['cpu_cores'].get('_machine', 0):.2f} "
        f"of its {cores} cores busy. Over that load each delivered report cost the stack {stack:.2f} ms "
        f"of CPU ({parts}) and the bench's own load client and stream reader {own:.2f} ms (CPU over the "
        "load divided by the reports delivered; the pipeline section's per-report table, below, adds "
        "the drain)"
        + (f"; processes outside the benchmark took {others:.2f} cores" if others >= 0.01 else "")
        + f": at that cost the machine's cores deliver at most {ceiling:,.0f} reports/s. "
    )
    need = (cores - others) * 1000 / GOAL_PER_S - own
    if ceiling < GOAL_PER_S and need > 0:
        text += (
            f"So CPU bounds it: {GOAL_PER_S:,.0f}/s needs the stack at {need:.2f} ms a report or less, "
            f"{(1 - need / stack) * 100:.0f} % less than now. "
        )
    elif ceiling >= GOAL_PER_S:
        text += (
            f"That is more than {GOAL_PER_S:,.0f}/s, so the best load's cost alone does not explain "
            "the miss. "
        )
        text += _at_goal(pipe, cores) or (
            "The pipeline table says which of the sustain check's conditions its loads missed. "
        )
    if profile:
        largest = max(SERVICES, key=lambda n: per.get(n, 0.0))
        if acts := _top_activities(profile, largest):
            text += (
                f"The largest service, {largest}, profiled at {profile['rate']:,.0f}/s offered"
                f"{_while_sampled(profile)}, spent its busy time on: {acts}."
            )
    return text.rstrip()


def _grew(short: dict, judged: dict) -> list[str]:
    a, b = short.get("cpu_cores") or {}, judged.get("cpu_cores") or {}
    return [
        f"{n} {a[n]:.2f} → {b[n]:.2f}"
        for n in (*STACK, *BENCH_OWN, "others")
        if n in a and n in b and b[n] - a[n] >= GREW_CORES
    ]


def _latency(pipe: dict, cores: int) -> str:
    judged = judged_at_1000(pipe)
    if judged is None:
        return ""
    text = (
        f"- **p99 at {P99_RATE:,.0f}/s: where the slowest reports waited.** Over the "
        f"{judged['duration_s']:.0f}-s load the machine was {judged['cpu_cores'].get('_machine', 0):.2f} "
        f"of its {cores} cores busy"
    )
    slowest = slowest_hop(judged)
    if slowest:
        hop, mean, total = slowest
        text += (
            f", and the slowest 1 % of reports waited longest in the hop \"{hop}\" "
            f"(mean {mean:,.0f} ms of {total:,.0f})"
        )
        if hop in QUEUED_HOPS:
            text += ": intake fell behind the load, and requests queued before its server took them"
        elif hop == "intake":
            text += ": intake's own handling of the request (token, checks, group commit) took longest"
    text += ". "
    batches = judged.get("batches") or {}
    cycles = [
        f"{CONSUMER.get(n, n)} {b['ms_per_batch']:,.0f} ms "
        f"({b['busy_share'] * 100:.0f} % of the time applying one)"
        for n, b in batches.items()
        if b and b.get("ms_per_batch")
    ]
    if cycles:
        text += (
            "A consumer applies one batch while the next gathers, so a record waits about one and a "
            "half batch times at each: a batch took " + ", ".join(cycles) + ". "
        )
    shorter = [
        x for x in all_loads(pipe)
        if x["offered"] == P99_RATE and x is not judged and x.get("p99_ms") is not None
    ]
    if shorter:
        s = min(shorter, key=lambda x: x["duration_s"])
        busy = s["cpu_cores"].get("_machine", 0)
        text += (
            f"The {s['duration_s']:.0f}-s load at the same rate had a p99 of {s['p99_ms']:,.0f} ms with "
            f"the machine {busy:.2f} cores busy"
        )
        grew = _grew(s, judged)
        if judged["p99_ms"] > s["p99_ms"] and grew:
            text += "; over the longer load, later in the run, these took more cores: " + ", ".join(grew)
        text += "."
    return text.rstrip()


def _pass_through(st: dict, best: dict | None, cores: int) -> str:
    pt = st.get("passthrough")
    if not pt or not pt.get("rates"):
        return ""
    need = PASS_THROUGH_SHARE * max(x["msgs_per_s"] for x in pt["rates"])
    text = (
        f"- **{PASS_THROUGH_SHARE * 100:.0f} % of pass-through** is {need:,.0f} reports/s. "
        "Pass-through does no HTTP, no parsing, no database and no tracing. "
    )
    it = st.get("intake") or {}
    # The most it answered at any load, the intake pairs' included.
    paired = [p["bare"]["accepted_per_s"] for p in it.get("pairs") or []]
    bare = max([it.get("bare_max_per_s") or 0.0, *paired])
    if bare:
        text += (
            f"The bare endpoint of intake's HTTP framework and server, with none of that work, answered "
            f"at most {bare:,.0f}/s on this machine"
            + (", so no pipeline behind it can reach that rate here" if bare < need else "")
            + ". "
        )
    ceiling = cpu_ceiling(best, cores) if best else None
    if ceiling:
        text += (
            f"At the CPU a report cost the stack and the bench at the best delivered load, the machine "
            f"allows at most {ceiling:,.0f}/s."
        )
    return text.rstrip()


def _intake(st: dict) -> str:
    rows = [r for r in ((st.get("intake") or {}).get("rates") or {}).get("reports", [])
            if r.get("server_cpu_ms_per_request")]
    _, b = cpu_per_request(st.get("intake") or {})
    if not rows or not b:
        return ""
    # Each server is bound by its one process's core, so their rates go about as their CPU a request;
    # a relay process of its own runs beside intake's server, whose part is what bounds intake.
    least = min(rows, key=lambda r: r["server_cpu_ms_per_request"])
    a, relay = least["server_cpu_ms_per_request"], least.get("relay_cpu_ms_per_request")
    beside = f" (its relay process {relay:.2f} ms more, at the same load)" if relay is not None else ""
    text = (
        f"- **Intake: CPU per request.** Intake's server spent {a:.2f} ms of CPU an answered "
        f"request{beside}, the bare endpoint {b:.2f} ms, which does none of intake's token check, "
        "report checks, tracing, group commit and relay; for half the bare endpoint's rate intake's "
        f"server would have to spend at most about {2 * b:.2f} ms. "
    )
    text += _idle_intake(st.get("intake") or {})
    acts = _top_activities({"services": {"reports": st.get("intake_profile")}}, "reports", n=4)
    if acts:
        text += f"Intake's busy time in its profile: {acts}."
    return text.rstrip()


# Below this share of its core while past its limit, a server's CPU was not what held it.
BUSY_SERVER = 0.9


def _idle_intake(it: dict) -> str:
    """What to say when intake's server, past its limit in the pairs, left part of its core unused."""
    cores = [p["reports"]["cpu_cores"]["reports"] for p in it.get("pairs") or []
             if counted(p) and (p["reports"].get("cpu_cores") or {}).get("reports") is not None]
    if not cores or max(cores) >= BUSY_SERVER:
        return ""
    low, high = f"{min(cores):.2f}", f"{max(cores):.2f}"
    used = low if low == high else f"{low}–{high}"
    return (
        f"But past its limit, in the pairs, intake's server used only {used} "
        "of its core: its CPU was not all that held it. A request waits for the transaction its "
        "report is in (group commit); when the load client's connections all wait on transactions, "
        "the server has nothing to do until one commits (`NUANXIN_REPORTS_INTAKE_MAX_BATCH`, "
        "docs/guarantees.md). "
    )
