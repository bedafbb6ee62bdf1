"""The live check against a faithful stand-in: what a run costs and covers, and how long it takes.

The stand-in (`python -m hidream_sim`) runs as a child process, as a service would, a fresh
one per run so its own count of the tasks it created is the run's (read from its --stats-file when it
stops; the bench does not import test code). Per round, at the default budget and at budget 1:
- tasks created per run, counted by the service side, against what full coverage needs on a faithful
  service (one per paid probe);
- the share of the documented surface (fields, headers, allowed values: live/surface.py) the run
  exercised, against all of it;
- the wall time of the run (settings, schema load, every request, every check) against the bare
  traffic: the same number of requests sent with a plain requests.Session to the same stand-in.
Subject and baseline alternate order every round (AB, BA, ...), after one unmeasured run.
"""

from __future__ import annotations

import json
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.local_server import simulator_child
from bench.measure import Goal, Result, Target
from hidream_contract.live.findings import LiveResult
from hidream_contract.live.probes import default_budget, paid_probes
from hidream_contract.live.runner import LiveRun
from hidream_contract.live.settings import load
from hidream_contract.live.surface import coverage, share
from hidream_contract.spec import submit

TOKEN = "bench-live-token"  # noqa: S105 - what the local stand-in accepts; not a secret
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LiveSizes:
    rounds: int = 5
    fuzz_examples: int = 30  # the live check's own default


QUICK_LIVE_SIZES = LiveSizes(rounds=1, fuzz_examples=2)


@dataclass(frozen=True)
class RunFigures:
    tasks: int  # counted by the stand-in
    guard_tasks: int  # possible tasks counted by the check's guard
    covered: float  # share of the documented surface, in %
    seconds: float
    requests: int
    exit_status: int


def _standin(stats: Path) -> AbstractContextManager[str]:
    return simulator_child(TOKEN, "--stats-file", str(stats))


def _live(base_url: str, budget: int, sizes: LiveSizes) -> tuple[LiveResult, float]:
    config = load(
        {
            "HIDREAM_API_TOKEN": TOKEN,
            "HIDREAM_API_BASE_URL": base_url,
            "HIDREAM_LIVE_MAX_BILLABLE": str(budget),
            "HIDREAM_LIVE_MAX_RPS": "1000",  # a local stand-in needs no politeness
            "HIDREAM_LIVE_MAX_RETRY_WAIT_S": "0",
            "HIDREAM_LIVE_FUZZ_EXAMPLES": str(sizes.fuzz_examples),
            "HIDREAM_LIVE_RESULT_INTERVAL_S": "0",  # the stand-in's tasks move one status per read
        }
    )
    start = time.perf_counter_ns()
    outcome = LiveRun(config).run()
    return outcome, (time.perf_counter_ns() - start) / 1e9


def _bare(base_url: str, requests_sent: int) -> float:
    """The same number of requests, sent plainly: a body the stand-in rejects, so it costs no task."""
    url = base_url + submit().path
    start = time.perf_counter_ns()
    received = 0
    with requests.Session() as session:
        for _ in range(requests_sent):
            answer = session.post(
                url, json={}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=TIMEOUT_S
            )
            received += len(answer.content)
    return (time.perf_counter_ns() - start) / 1e9


def one_round(
    budget: int, sizes: LiveSizes, *, bare_requests: int, bare_first: bool
) -> tuple[RunFigures, float]:
    """One live run against a fresh faithful stand-in, and the bare traffic beside it."""
    with tempfile.TemporaryDirectory(prefix="bench-live-") as scratch:
        stats = Path(scratch) / "stats.json"
        with _standin(stats) as base_url:
            bare = _bare(base_url, bare_requests) if bare_first else 0.0
            outcome, seconds = _live(base_url, budget, sizes)
            bare = bare if bare_first else _bare(base_url, bare_requests)
        counted = json.loads(stats.read_text(encoding="utf-8"))
    covered, total = share(coverage(outcome.sent, outcome.operations_answered))
    figures = RunFigures(
        tasks=int(counted["accepted_tasks"]),
        guard_tasks=outcome.tasks_created,
        covered=100.0 * covered / total,
        seconds=seconds,
        requests=outcome.traffic.sent,
        exit_status=outcome.exit_status,
    )
    return figures, bare


def live_check(sizes: LiveSizes = LiveSizes()) -> list[Result]:
    paid = len(paid_probes())
    rows: list[Result] = []
    for budget, label in ((default_budget(), f"default budget {default_budget()}"), (1, "budget 1")):
        # Unmeasured: imports and caches; and how many requests a run sends (fixed seed, faithful
        # stand-in: the same every run), which the baseline then sends too.
        warm, _ = one_round(budget, sizes, bare_requests=1, bare_first=False)
        figures: list[RunFigures] = []
        bare: list[float] = []
        for i in range(sizes.rounds):
            run, baseline = one_round(budget, sizes, bare_requests=warm.requests, bare_first=i % 2 == 1)
            figures.append(run)
            bare.append(baseline)
        extra = {
            "exit": "/".join(sorted({str(f.exit_status) for f in figures})),
            "guard's count": "/".join(sorted({str(f.guard_tasks) for f in figures})),
            "requests/run": "/".join(sorted({str(f.requests) for f in figures})),
        }
        default = budget == default_budget()
        rows.append(
            Result(
                name=f"live check, {label}: tasks created per run (faithful stand-in)",
                subject="tasks the stand-in created",
                baseline="paid probes (full coverage's need)",
                unit="tasks",
                subject_values=tuple(float(f.tasks) for f in figures),
                baseline_values=tuple(float(paid) for _ in figures),
                target=Target(Goal.VALUE_AT_MOST, float(paid if default else budget)),
                extra=extra,
                key=f"live_tasks_{'default' if default else 'budget1'}",
            )
        )
        rows.append(
            Result(
                name=f"live check, {label}: documented surface covered",
                subject="fields, headers, values exercised",
                baseline="all of them (from the spec)",
                unit="%",
                subject_values=tuple(f.covered for f in figures),
                baseline_values=tuple(100.0 for _ in figures),
                target=Target(Goal.RATIO_AT_LEAST, 1.0) if default else None,
                key=f"live_surface_{'default' if default else 'budget1'}",
            )
        )
        if default:
            rows.append(
                Result(
                    name=f"live check, {label}: wall time of a run",
                    subject="python -m hidream_contract.live's run, in process",
                    baseline="the same number of plain requests",
                    unit="s",
                    subject_values=tuple(f.seconds for f in figures),
                    baseline_values=tuple(bare),
                    extra={"fuzz examples": str(sizes.fuzz_examples)},
                    key="live_wall",
                )
            )
    return rows
