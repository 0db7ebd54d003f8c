"""report.md's Faults section: the fault suite's figures (test-artifacts/faults.json), test by test."""

from __future__ import annotations

import json

COLUMNS = ("reports_driven", "faults_injected", "lost", "duplicated")


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"


def _total(tests: list[dict], column: str) -> str:
    """The column's sum over the tests that have it; "-" when none has."""
    counts = [t[column] for t in tests if isinstance(t.get(column), int)]
    return _count(sum(counts)) if counts else "-"


def faults_section(faults: dict | None, commit: str | None) -> list[str]:
    """The suite's totals, then one row per test: outcome, counts, and when and on what code it ran."""
    L = ["## Faults", ""]
    if not faults:
        return [
            *L,
            "No fault-suite results (tests/faults writes test-artifacts/faults.json: reports driven, faults "
            "injected, lost, duplicated). Run the fault suite, then the benchmark, to show them here.",
            "",
        ]
    if "error" in faults:
        return [*L, f"{faults['path']}: unreadable ({faults['error']})", ""]
    data = faults["data"]
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, dict) or not tests:
        return [*L, f"From `{faults['path']}`:", "", "```json", json.dumps(data, indent=1)[:4000], "```", ""]
    totals = data.get("totals") or {}
    modes = sorted({t["mode"] for t in tests.values() if t.get("mode")}) or [data.get("mode", "?")]
    L.append(
        f"From `{faults['path']}` ({' and '.join(modes)} runs of {data.get('suite', 'tests/faults')}, "
        f"seed {data.get('seed', '?')}, last written {data.get('updated_at', '?')}): "
        f"{_count(totals.get('reports_driven'))} reports driven, {_count(totals.get('faults_injected'))} "
        f"faults injected, {_count(totals.get('lost'))} lost, {_count(totals.get('duplicated'))} duplicated."
    )
    failed = [name for name, t in tests.items() if t.get("outcome") != "passed"]
    if failed:
        L.append("")
        L.append(f"**{len(failed)} of {len(tests)} tests did not pass**: " + ", ".join(failed) + ".")
    if commit:
        other = [name for name, t in tests.items() if t.get("commit") != commit]
        if other:
            L.append("")
            L.append(
                f"{len(other)} of {len(tests)} tests last ran on other code than this run's ({commit}), "
                "or before the file said which: `make faults` at this commit brings them up to date."
            )
            own = [t for t in tests.values() if t.get("commit") == commit]
            if own:
                # The totals above add up whichever code each test ran on; say this code's own.
                L.append(
                    f"The {len(own)} that ran on {commit}: {_total(own, 'reports_driven')} reports driven, "
                    f"{_total(own, 'faults_injected')} faults injected, {_total(own, 'lost')} lost, "
                    f"{_total(own, 'duplicated')} duplicated."
                )
    L += [
        "",
        "| test | outcome | reports driven | faults injected | lost | duplicated | seconds "
        "| ran at (commit) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, t in sorted(tests.items()):
        outcome = t.get("outcome", "?")
        counts = " | ".join(_count(t.get(c)) for c in COLUMNS)
        when = f"{t['finished_at']} ({t.get('commit') or '-'})" if t.get("finished_at") else "-"
        L.append(
            f"| {name.removeprefix('test_').replace('_', ' ')} | "
            f"{outcome if outcome == 'passed' else f'**{outcome}**'} | {counts} | "
            f"{t.get('seconds', '-')} | {when} |"
        )
    return [*L, "", "Each test's other figures are in the file.", ""]
