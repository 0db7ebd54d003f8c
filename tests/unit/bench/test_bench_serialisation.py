"""bench.serialisation times both ways of each hot-path encoding, and both do the same work."""

from __future__ import annotations

import json

from bench.serialisation import cases, main


def test_both_ways_of_each_case_give_the_same_content():
    (written, read, span, parse) = cases(batch=5)
    assert json.loads(written[1]()) == json.loads(written[2]())
    assert read[1]() == read[2]()
    assert json.loads(span[1]()) == json.loads(span[2]())
    whole, ends = parse[1](), parse[2]()
    assert len(whole.batch_headers) == 5 and len(ends.batch_headers) == 2
    assert whole.message_id == ends.message_id  # faststream names a batch by its first and last


def test_main_prints_a_row_per_case_and_writes_them(tmp_path, capsys):
    out = tmp_path / "rows.json"
    assert main(["--number", "10", "--repeat", "1", "--batch", "3", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["what"] for r in rows][-1] == "faststream's parse of a batch of 3"
    assert all(r["before_us"] > 0 and r["now_us"] > 0 for r in rows)
    assert capsys.readouterr().out.count("\n| ") == len(rows) + 1
