"""Interleaved rounds, medians and targets: the arithmetic every benchmark shares."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Goal(Enum):
    """How a figure is judged against its target."""

    RATIO_AT_MOST = "ratio ≤"  # subject / baseline, lower is better (time per call)
    RATIO_AT_LEAST = "ratio ≥"  # subject / baseline, higher is better (throughput)
    VALUE_AT_MOST = "subject ≤"  # the subject's own median, in its unit
    DIFFERENCE_AT_MOST = "subject - baseline ≤"  # in the unit, e.g. a detection lag in seconds


@dataclass(frozen=True)
class Target:
    goal: Goal
    limit: float

    def describe(self, unit: str) -> str:
        if self.goal in (Goal.RATIO_AT_MOST, Goal.RATIO_AT_LEAST):
            return f"{self.goal.value} {self.limit:g}x"
        return f"{self.goal.value} {self.limit:g} {unit}"


@dataclass(frozen=True)
class Result:
    """One row of the table: a subject and its baseline, one value per round for each."""

    name: str
    subject: str
    baseline: str
    unit: str
    subject_values: tuple[float, ...]
    baseline_values: tuple[float, ...]
    target: Target | None = None
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    key: str = ""  # a stable name for findings and tests; the display name may change

    def __post_init__(self) -> None:
        if not self.subject_values or len(self.subject_values) != len(self.baseline_values):
            raise ValueError(
                f"{self.name}: need one value per round for subject and baseline, got "
                f"{len(self.subject_values)} and {len(self.baseline_values)}"
            )

    @property
    def rounds(self) -> int:
        return len(self.subject_values)

    @property
    def subject_median(self) -> float:
        return statistics.median(self.subject_values)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_values)

    @property
    def ratio(self) -> float:
        """Median of the per-round ratios: each round's pair ran back to back, under the same load."""
        return statistics.median(
            s / b for s, b in zip(self.subject_values, self.baseline_values, strict=True)
        )

    @property
    def difference(self) -> float:
        return statistics.median(
            s - b for s, b in zip(self.subject_values, self.baseline_values, strict=True)
        )

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None when the row has no target."""
        if self.target is None:
            return None
        goal, limit = self.target.goal, self.target.limit
        if goal is Goal.RATIO_AT_MOST:
            return self.ratio <= limit
        if goal is Goal.RATIO_AT_LEAST:
            return self.ratio >= limit
        if goal is Goal.VALUE_AT_MOST:
            return self.subject_median <= limit
        return self.difference <= limit

    @property
    def verdict(self) -> str:
        return {None: "—", True: "met", False: "MISSED"}[self.met]


def interleave(
    subject: Callable[[], float], baseline: Callable[[], float], *, rounds: int, warmup: bool = True
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Run subject and baseline alternately (AB, BA, AB, …) and return each one's values per round.

    Each callable runs one round and returns its figure (µs per call, requests/s, seconds). The
    order flips every round so neither side always runs right after the other's warm caches.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    if warmup:
        subject()
        baseline()
    subject_values: list[float] = []
    baseline_values: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            subject_values.append(subject())
            baseline_values.append(baseline())
        else:
            baseline_values.append(baseline())
            subject_values.append(subject())
    return tuple(subject_values), tuple(baseline_values)


def per_call_us(func: Callable[[], object], calls: int) -> float:
    """Microseconds per call of `func`, over `calls` calls in a row."""
    if calls < 1:
        raise ValueError(f"calls must be at least 1, got {calls}")
    start = time.perf_counter_ns()
    for _ in range(calls):
        func()
    return (time.perf_counter_ns() - start) / calls / 1_000
