"""The simulator's own cost: per request of a task's lifecycle, under concurrent clients, and its share of
a live check run's time (it must never be the bottleneck of a contract run).

Both servers run as child processes (`python -m hidream_sim`, `python -m bench.local_server`), so the
clients measured here do not share their interpreter with them. The baseline is bench.local_server:
the same stdlib HTTP/1.1 keep-alive server answering one canned envelope, the floor any Python service
of this shape has. Subject and baseline alternate order every round (AB, BA, ...), after a warm-up.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import live_run
from bench.local_server import serving, simulator_child
from bench.measure import Goal, Result, Target, interleave
from bench.payloads import request_example
from hidream_contract.live.probes import default_budget

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
    with simulating() as sim_url, serving() as local_url:
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
