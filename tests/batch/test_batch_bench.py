"""bench/batch.py: the throughput and memory rows run and measure what they say (tiny sizes)."""

from __future__ import annotations

import pytest

from bench.__main__ import GROUPS, QUICK, RUNNERS
from bench.batch import QUICK_BATCH_SIZES, batch_benchmarks
from bench.measure import Goal


@pytest.mark.slow
def test_the_batch_benchmarks_run_and_yield_their_rows() -> None:
    assert "batch" in GROUPS
    assert "batch" in RUNNERS
    assert QUICK.batch == QUICK_BATCH_SIZES
    rows = {row.key: row for row in batch_benchmarks(QUICK_BATCH_SIZES)}
    assert set(rows) == {"batch-throughput", "batch-memory"}
    speed, memory = rows["batch-throughput"], rows["batch-memory"]
    assert speed.target is not None
    assert speed.target.goal is Goal.RATIO_AT_LEAST
    assert speed.subject_median > 0
    assert speed.baseline_median > 0
    # Concurrency overlaps the waits between result reads: even tiny, the batch is faster.
    assert speed.ratio > 1.0
    assert memory.target is not None
    assert memory.target.goal is Goal.RATIO_AT_MOST
    assert 0 < memory.baseline_median < memory.subject_median
    assert "bytes more per input" in memory.note
