"""The simulator's own cost: per request of a task's lifecycle, under concurrent clients, and its share of
a live check run's time (it must never be the bottleneck of a contract run).

All servers run as child processes (`python -m hidream_sim`, `python -m bench.local_server`,
`python -m bench.stdlib_simulator`), so the clients measured here do not share their interpreter with
them. Two baselines: bench.local_server, a stdlib HTTP/1.1 keep-alive server answering one canned
envelope (the floor any Python service of this shape has), and bench.stdlib_simulator, the simulator's
previous `http.server` layer over the same service (issue 29 moved it onto uvicorn: the new server must
not make a contract run or a batch slower). Subject and baseline alternate order every round (AB, BA,
...), after a warm-up.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import live_run
from bench.local_server import SIM_READY_KEY, SIM_TOKEN_ENV, serving, simulator_child
from bench.measure import Goal, Result, Target, interleave
from bench.payloads import request_example
from hidream_contract.children import serving_child
from hidream_contract.live.probes import default_budget
from hidream_contract.project import ROOT

TOKEN = "bench-sim-token"  # noqa: S105 - what the local simulator accepts; not a secret
OPERATION = "/image/image_upscaler/async"
IMAGE = "https://storage.example.test/photo.png"
TIMEOUT_S = 10.0
REQUESTS_PER_TASK = 5  # submit, three result reads (0, 2, 1), the image


@dataclass(frozen=True)
class SimSizes:
    rounds: int = 5
    tasks: int = 200  # lifecycles per round, one client
    clients: int = 8  # concurrent clients
    concurrent_requests: int = 1600  # per round, shared by the clients


QUICK_SIM_SIZES = SimSizes(rounds=1, tasks=5, clients=2, concurrent_requests=20)


def simulating() -> AbstractContextManager[str]:
    """A faithful simulator in a child process; its base URL."""
    return simulator_child(TOKEN)


@contextmanager
def stdlib_simulating() -> Iterator[str]:
    """The simulator's previous http.server layer (bench.stdlib_simulator) in a child process."""
    previous = os.environ.get(SIM_TOKEN_ENV)
    os.environ[SIM_TOKEN_ENV] = TOKEN
    try:
        argv = [sys.executable, "-m", "bench.stdlib_simulator"]
        with serving_child(argv, ready_key=SIM_READY_KEY, cwd=ROOT) as base_url:
            yield base_url
    finally:
        if previous is None:
            os.environ.pop(SIM_TOKEN_ENV, None)
        else:
            os.environ[SIM_TOKEN_ENV] = previous


def _lifecycle(session: requests.Session, base_url: str) -> int:
    """One task's whole life against the simulator; the requests it took."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = base_url + OPERATION
    body = {"image": IMAGE, "upsale_ratio": request_example()["upsale_ratio"]}  # the spec's example ratio
    task = session.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
    task_id = task.json()["result"]["task_id"]
    read: dict[str, object] = {}
    for _ in range(3):
        read = session.get(
            url + "/results", params={"task_id": task_id}, headers=headers, timeout=TIMEOUT_S
        ).json()
    image_url = read["result"]["sub_task_results"][0]["image"]  # type: ignore[index]
    session.get(image_url, timeout=TIMEOUT_S).raise_for_status()
    return REQUESTS_PER_TASK


def _canned(session: requests.Session, base_url: str) -> int:
    """As many requests to the canned server."""
    received = 0
    for _ in range(REQUESTS_PER_TASK):
        answer = session.post(
            base_url + OPERATION,
            json={"image": IMAGE, "upsale_ratio": request_example()["upsale_ratio"]},
            timeout=TIMEOUT_S,
        )
        received += len(answer.content)
    return REQUESTS_PER_TASK if received else 0


def us_per_request(call: Callable[[requests.Session, str], int], base_url: str, tasks: int) -> float:
    with requests.Session() as session:
        start = time.perf_counter_ns()
        sent = sum(call(session, base_url) for _ in range(tasks))
        return (time.perf_counter_ns() - start) / sent / 1_000


def requests_per_s(
    call: Callable[[requests.Session, str], int], base_url: str, clients: int, total: int
) -> float:
    """Requests per second that `clients` threads (a keep-alive session each) get through together."""
    per_client = max(1, total // (clients * REQUESTS_PER_TASK))
    counts = [0] * clients
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with requests.Session() as session:
                counts[index] = sum(call(session, base_url) for _ in range(per_client))
        except BaseException as error:  # reported below: a failed client must fail the row
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    start = time.perf_counter_ns()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = (time.perf_counter_ns() - start) / 1e9
    if errors:
        raise RuntimeError(f"a benchmark client failed: {errors[0]!r}")
    return sum(counts) / seconds


def simulator_cost(sizes: SimSizes) -> list[Result]:
    with simulating() as sim_url, serving() as local_url, stdlib_simulating() as old_url:
        single = interleave(
            lambda: us_per_request(_lifecycle, sim_url, sizes.tasks),
            lambda: us_per_request(_canned, local_url, sizes.tasks),
            rounds=sizes.rounds,
        )
        concurrent = interleave(
            lambda: requests_per_s(_lifecycle, sim_url, sizes.clients, sizes.concurrent_requests),
            lambda: requests_per_s(_canned, local_url, sizes.clients, sizes.concurrent_requests),
            rounds=sizes.rounds,
        )
        against_old = interleave(
            lambda: us_per_request(_lifecycle, sim_url, sizes.tasks),
            lambda: us_per_request(_lifecycle, old_url, sizes.tasks),
            rounds=sizes.rounds,
        )
        concurrent_old = interleave(
            lambda: requests_per_s(_lifecycle, sim_url, sizes.clients, sizes.concurrent_requests),
            lambda: requests_per_s(_lifecycle, old_url, sizes.clients, sizes.concurrent_requests),
            rounds=sizes.rounds,
        )
    busy, wall = _live_check_share(sizes.rounds)
    return [
        Result(
            name="simulator: a task's lifecycle, per request",
            subject="hidream-sim (submit, 3 reads, the PNG)",
            baseline="bench.local_server (one canned answer)",
            unit="µs",
            subject_values=single[0],
            baseline_values=single[1],
            target=Target(Goal.RATIO_AT_MOST, 1.5),
            note=f"{sizes.tasks} tasks per round, one keep-alive client (requests)",
            key="simulator-cost",
        ),
        Result(
            name=f"simulator: throughput, {sizes.clients} concurrent clients",
            subject="hidream-sim lifecycles",
            baseline="bench.local_server",
            unit="req/s",
            subject_values=concurrent[0],
            baseline_values=concurrent[1],
            target=Target(Goal.RATIO_AT_LEAST, 0.6),
            note=f"{sizes.concurrent_requests} requests per round over {sizes.clients} threads",
            key="simulator-throughput",
        ),
        Result(
            name="simulator on uvicorn vs its old http.server layer: a task's lifecycle, per request",
            subject="hidream-sim (uvicorn)",
            baseline="bench.stdlib_simulator (the same service on http.server)",
            unit="µs",
            subject_values=against_old[0],
            baseline_values=against_old[1],
            target=Target(Goal.RATIO_AT_MOST, 1.25),
            note=f"{sizes.tasks} tasks per round, one keep-alive client: per-task cost of a contract run",
            key="simulator-vs-stdlib-cost",
        ),
        Result(
            name=f"simulator on uvicorn vs its old http.server layer: throughput, {sizes.clients} clients",
            subject="hidream-sim (uvicorn)",
            baseline="bench.stdlib_simulator (the same service on http.server)",
            unit="req/s",
            subject_values=concurrent_old[0],
            baseline_values=concurrent_old[1],
            target=Target(Goal.RATIO_AT_LEAST, 0.8),
            note=f"{sizes.concurrent_requests} requests a round, {sizes.clients} threads (a batch)",
            key="simulator-vs-stdlib-throughput",
        ),
        Result(
            name="simulator: its share of a live check run",
            subject="time the simulator spent answering (its --stats-file busy_seconds)",
            baseline="the live check run's wall time",
            unit="s",
            subject_values=busy,
            baseline_values=wall,
            target=Target(Goal.RATIO_AT_MOST, 0.25),
            note="under a quarter of the run: the simulator is not what a contract run waits for",
            key="simulator-share",
        ),
    ]


def _live_check_share(rounds: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per live check run against a fresh simulator (bench/live_run.py's, at its quick sizes): the
    seconds the simulator spent answering, and the run's wall seconds."""
    busy, wall = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="bench-sim-") as scratch:
            stats = Path(scratch) / "stats.json"
            with live_run._standin(stats) as base_url:
                _, seconds = live_run._live(base_url, default_budget(), live_run.QUICK_LIVE_SIZES)
            busy.append(float(json.loads(stats.read_text(encoding="utf-8"))["busy_seconds"]))
        wall.append(seconds)
    return tuple(busy), tuple(wall)
