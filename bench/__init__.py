"""Benchmarks (`make bench`): the client and the contract run, each against the tool it is built on.

Every figure is a ratio against a baseline measured in the same run, interleaved round by round,
as the median of the per-round figures, so a busy machine slows both sides alike. Nothing here is a
test: timings are never asserted (tests/house/test_bench_harness.py only checks that the harness works).
"""
