"""The simulator's benchmark group (bench/simulator.py, `python -m bench --only simulator`) runs and yields
its five rows (two against the old http.server layer, bench/stdlib_simulator.py). Timings are never
asserted here: `make bench` measures them; quick counts are meaningless."""

from __future__ import annotations

import pytest
import requests

from bench import simulator
from bench.__main__ import GROUPS, RUNNERS
from bench.measure import Goal


def test_the_group_is_hooked_into_make_bench() -> None:
    assert "simulator" in GROUPS
    assert "simulator" in RUNNERS


def test_one_lifecycle_is_five_requests_against_a_child_simulator() -> None:
    with simulator.simulating() as base_url, requests.Session() as session:
        assert base_url.endswith("/api-pub/gw/v3")
        assert simulator._lifecycle(session, base_url) == simulator.REQUESTS_PER_TASK


def test_the_old_http_server_layer_serves_the_same_lifecycle() -> None:
    with simulator.stdlib_simulating() as base_url, requests.Session() as session:
        assert base_url.endswith("/api-pub/gw/v3")
        assert simulator._lifecycle(session, base_url) == simulator.REQUESTS_PER_TASK


@pytest.mark.slow
def test_the_group_yields_its_rows() -> None:
    rows = simulator.simulator_cost(simulator.QUICK_SIM_SIZES)
    assert [row.key for row in rows] == [
        "simulator-cost",
        "simulator-throughput",
        "simulator-vs-stdlib-cost",
        "simulator-vs-stdlib-throughput",
        "simulator-share",
    ]
    assert [row.target.goal for row in rows if row.target] == [
        Goal.RATIO_AT_MOST,
        Goal.RATIO_AT_LEAST,
        Goal.RATIO_AT_MOST,
        Goal.RATIO_AT_LEAST,
        Goal.RATIO_AT_MOST,
    ]
    for row in rows:
        assert row.rounds == simulator.QUICK_SIM_SIZES.rounds
        assert all(value > 0 for value in row.subject_values + row.baseline_values)
