"""The report's Faults section: the suite's figures test by test, and what is not of this run's code."""

from __future__ import annotations

from bench.report.faults import faults_section


def _faults(tests: dict) -> dict:
    return {
        "path": "test-artifacts/faults.json",
        "data": {
            "mode": "ci", "suite": "tests/faults", "seed": 7, "updated_at": "2026-12-02T03:00:00+00:00",
            "totals": {"reports_driven": 500, "faults_injected": 4, "lost": 0, "duplicated": 0},
            "tests": tests,
        },
    }


def _test(outcome: str, commit: str | None, **counts) -> dict:
    figures = {"outcome": outcome, "seconds": 12.5, "lost": 0, "duplicated": 0, **counts}
    if commit:
        figures |= {"commit": commit, "finished_at": "2026-12-02T03:00:00+00:00"}
    return figures


def test_each_test_is_a_row_with_its_counts_and_the_code_it_ran_on():
    lines = faults_section(
        _faults({
            "test_postgres_restarted_mid_stream_loses_nothing": _test("passed", "abc1234", reports_driven=9),
            "test_bad_tokens_are_refused": _test("passed", "abc1234", faults_injected=77),
        }),
        "abc1234",
    )

    assert "500 reports driven, 4 faults injected, 0 lost, 0 duplicated." in lines[2]
    ran = "2026-12-02T03:00:00+00:00 (abc1234)"
    assert f"| postgres restarted mid stream loses nothing | passed | 9 | - | 0 | 0 | 12.5 | {ran} |" in lines
    assert f"| bad tokens are refused | passed | - | 77 | 0 | 0 | 12.5 | {ran} |" in lines
    assert not any("did not pass" in line or "other code" in line for line in lines)


def test_the_header_names_every_mode_the_tests_ran_in():
    long_run = _test("passed", "abc1234") | {"mode": "long"}
    ci_run = _test("passed", "abc1234") | {"mode": "ci"}
    lines = faults_section(_faults({"test_a": long_run, "test_b": ci_run}), "abc1234")

    assert lines[2].startswith("From `test-artifacts/faults.json` (ci and long runs of tests/faults, seed 7")


def test_a_failed_test_and_figures_from_other_code_are_called_out():
    lines = faults_section(
        _faults({
            "test_every_event_delivered_twice_has_one_effect": _test("failed", "0ld0ld0", lost=200),
            "test_sla_scheduler_killed_escalates_once": _test("passed", None),
        }),
        "abc1234",
    )
    text = "\n".join(lines)

    assert "**1 of 2 tests did not pass**: test_every_event_delivered_twice_has_one_effect." in text
    assert "2 of 2 tests last ran on other code than this run's (abc1234)" in text
    assert "| every event delivered twice has one effect | **failed** | - | - | 200 | 0 | 12.5 |" in text
    assert "| sla scheduler killed escalates once | passed | - | - | 0 | 0 | 12.5 | - |" in text


def test_without_the_file_the_section_says_how_to_get_it():
    assert "Run the fault suite, then the benchmark" in "\n".join(faults_section(None, "abc1234"))


def test_with_tests_of_other_code_the_totals_of_this_code_are_given_apart():
    lines = faults_section(
        _faults({
            "test_a": _test("passed", "abc1234", reports_driven=300, faults_injected=3),
            "test_b": _test("passed", "abc1234", reports_driven=100, duplicated=0),
            "test_c": _test("failed", "0ld0ld0", reports_driven=100, faults_injected=1, lost=200),
        }),
        "abc1234",
    )
    text = "\n".join(lines)

    assert "1 of 3 tests last ran on other code than this run's (abc1234)" in text
    assert "The 2 that ran on abc1234: 400 reports driven, 3 faults injected, 0 lost, 0 duplicated." in text


def test_a_count_no_test_of_this_code_has_is_not_given_as_zero():
    lines = faults_section(
        _faults({
            "test_a": _test("passed", "abc1234", reports_driven=300),
            "test_b": _test("passed", "0ld0ld0", faults_injected=5),
        }),
        "abc1234",
    )

    assert "The 1 that ran on abc1234: 300 reports driven, - faults injected, 0 lost, 0 duplicated." in lines
