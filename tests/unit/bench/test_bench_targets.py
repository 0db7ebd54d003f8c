"""The benchmark's verdicts: which load each target is read from, and what the report admits to."""

from __future__ import annotations

from bench.report.targets import targets


def _load(offered: float, seconds: float, p99_ms: float, held: bool) -> dict:
    return {
        "offered": offered,
        "duration_s": seconds,
        "p99_ms": p99_ms,
        "sustained": held,
        "throughput_per_s": offered * 0.99,
    }


def _pipeline(rates: list[dict], checks: list[dict]) -> dict:
    held = (
        [r["offered"] for r in checks if r["sustained"]]
        if checks
        else [r["offered"] for r in rates if r["sustained"]]
    )
    return {
        "rates": rates,
        "sustain_checks": checks,
        "sustain_s": 30.0 if checks else 6.0,
        "held_short_per_s": max(r["offered"] for r in rates if r["sustained"]),
        "sustainable_per_s": max(held, default=0.0),
        "sustainable_is_lower_bound": False,
        "max_throughput_per_s": max(r["throughput_per_s"] for r in rates + checks),
    }


def _intake(bare: list[tuple[float, float]], saturated: bool) -> dict:
    return {
        "rates": {
            "reports": [{"server_cpu_ms_per_request": 0.25}],
            "bare": [{"offered": o, "accepted_per_s": a, "server_cpu_ms_per_request": 0.10} for o, a in bare],
        },
        "max_accepted_per_s": 4_000.0,
        "bare_max_per_s": max(a for _, a in bare),
        "bare_saturated": saturated,
    }


def _verdicts(stages: dict) -> dict[str, dict]:
    return {t["target"]: t for t in targets({"stages": stages})}


def test_a_load_held_only_in_a_short_stage_is_not_sustained():
    rates = [_load(1000, 6, 300, True), _load(2000, 6, 950, True)]
    checks = [_load(2000, 30, 2058, False), _load(1000, 30, 713, True)]
    got = _verdicts({"pipeline": _pipeline(rates, checks)})

    sustained = got["pipeline sustains ≥ 2,000 reports/s"]
    assert (sustained["measured"], sustained["verdict"]) == ("1,000.0 reports/s", "MISS")
    assert "held for 30 s" in sustained["note"]
    p99 = got["pipeline p99 < 500 ms at 1,000 reports/s"]
    assert (p99["measured"], p99["verdict"]) == ("713.0 ms", "MISS"), "the 30-s load, not the 6-s one"
    assert p99["note"].endswith("over the 30-s load")


def test_without_a_check_at_1000_the_stage_at_1000_is_read():
    rates = [_load(1000, 6, 300, True), _load(2000, 6, 950, True)]
    got = _verdicts({"pipeline": _pipeline(rates, [_load(2000, 30, 900, True)])})

    assert got["pipeline sustains ≥ 2,000 reports/s"]["verdict"] == "PASS"
    p99 = got["pipeline p99 < 500 ms at 1,000 reports/s"]
    assert (p99["measured"], p99["verdict"]) == ("300.0 ms", "PASS")
    assert p99["note"].endswith("over the 6-s load")


def test_the_intake_ratio_admits_when_the_bare_endpoint_never_fell_behind():
    kept_up = _verdicts({"intake": _intake([(5000, 4990), (8000, 7870)], saturated=False)})
    fell_behind = _verdicts({"intake": _intake([(8000, 7870), (12000, 9400)], saturated=True)})

    upper = kept_up["intake ≥ 50% of the bare endpoint"]
    assert upper["verdict"] == "PASS" and "its limit is higher and this ratio an upper bound" in upper["note"]
    real = fell_behind["intake ≥ 50% of the bare endpoint"]
    assert (real["measured"], real["verdict"]) == ("42.6 %", "MISS")
    assert "upper bound" not in real["note"] and "on equal CPU intake reaches 40% of bare" in real["note"]


def test_the_p99_verdict_names_the_hop_the_slowest_reports_spent_most_on():
    from bench.hops import summarize

    at1000 = _load(1000, 30, 713, True)
    at1000["hops"] = summarize(
        [[0.0, 1.0, 9.0, 80.0, 20.0, 40.0, 10.0, 6.0]] * 99 + [[0.0, 1.0, 9.0, 80.0, 20.0, 400.0, 10.0, 6.0]]
    )
    got = _verdicts({"pipeline": _pipeline([_load(1000, 6, 300, True)], [at1000])})

    note = got["pipeline p99 < 500 ms at 1,000 reports/s"]["note"]
    assert note.endswith('the slowest 1 % spent the most time in the hop "to notify" (mean 400 ms of 526)')


def test_on_equal_cpu_intake_counts_its_relay_processs_cpu_too():
    intake = _intake([(8000, 7870), (12000, 9400)], saturated=True)
    intake["rates"]["reports"] = [{"server_cpu_ms_per_request": 0.18, "relay_cpu_ms_per_request": 0.02}]
    note = _verdicts({"intake": intake})["intake ≥ 50% of the bare endpoint"]["note"]

    # The work of a request wherever it ran: 0.18 + 0.02 ms against the bare endpoint's 0.10.
    assert (
        "CPU per request 0.20 ms (0.02 of it the relay process's) vs 0.10 ms: on equal CPU intake "
        "reaches 50% of bare"
    ) in note
