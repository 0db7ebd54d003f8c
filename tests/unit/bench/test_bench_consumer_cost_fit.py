"""The consumer cost's straight line: a batch's fixed cost and a record's, from the sizes' rows."""

from __future__ import annotations

import pytest

from bench.consumer_cost_fit import Row, fit, table


def _row(batch: int, client_ms: float, server_ms: float | None) -> Row:
    server_us = None if server_ms is None else server_ms * 1000 / batch
    return Row("routing", batch, 10, client_ms, client_ms * 1000 / batch, server_ms, server_us)


def test_the_line_through_the_sizes_gives_the_fixed_and_the_per_record_cost():
    # 4 ms a batch and 250 µs a record on the process's side; 1 ms and 100 µs on the server's.
    rows = [_row(n, 4 + 0.25 * n, 1 + 0.1 * n) for n in (1, 10, 50, 200)]
    client, server = fit("routing", "client", rows), fit("routing", "server", rows)
    assert (client.fixed_ms, client.per_record_us) == pytest.approx((4.0, 250.0))
    assert (server.fixed_ms, server.per_record_us) == pytest.approx((1.0, 100.0))
    text = table(rows, [client, server])
    assert "| routing | 200 | 10 | 54.00 | 270 | 21.00 | 105 |" in text
    assert "| routing | client | 4.00 | 250 |" in text


def test_one_size_gives_no_slope_rather_than_a_division_by_zero():
    only = fit("notify", "client", [_row(50, 10.0, 2.0)])
    assert (only.fixed_ms, only.per_record_us) == (10.0, 0.0)


def test_a_server_on_another_machine_has_no_figures_and_no_line():
    rows = [_row(n, 4 + 0.25 * n, None) for n in (1, 10)]
    assert fit("routing", "server", rows) is None
    assert fit("routing", "client", rows) is not None
    assert "| routing | 10 | 10 | 6.50 | 650 | n/a | n/a |" in table(rows, [])
