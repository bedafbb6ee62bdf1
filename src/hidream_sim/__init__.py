"""The HiDream simulator: a stateful stand-in for the HiDream task API, in-process or as a server.

    from hidream_sim import simulator
    with simulator() as sim:                       # faithful, on a free port of 127.0.0.1
        sim.base_url          # http://127.0.0.1:PORT/api-pub/gw/v3 (append /image/image_upscaler/async)
        sim.url_for("task-fails")  # the same base URL with a scenario for every request sent there
        sim.tasks             # the tasks it created (hidream_sim.results.Task)
        sim.billed            # how many: what a real account would have paid for
        sim.callbacks         # the notify_url calls it made or refused (hidream_sim.server.Callback)
        sim.requests          # how many requests it received

As a command: `hidream-sim --port 0` (or `python -m hidream_sim`) prints the base URL and serves until
stopped; `hidream-sim --list-scenarios`. The pytest fixture `hidream_sim` (this package's pytest
plugin, registered as an entry point) yields a running faithful simulator. docs/simulator.md is the manual.
It imports nothing of ours (config/importlinter.toml): it plays an independent service.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hidream_sim.observed import ObservedCodes
from hidream_sim.replay import Cassette
from hidream_sim.results import RESULTS_SUFFIX, Task, TaskBook
from hidream_sim.server import (
    CALLBACK_SINK,
    DEFAULT_SLOW_SECONDS,
    DEFAULT_TOKEN,
    FAULTS,
    MODES,
    OPERATION_PATH,
    PREFIX,
    SCENARIO_HEADER,
    SCENARIO_PATH,
    SCENARIOS,
    Callback,
    Exchange,
    Mode,
    SimServer,
    StandInServer,
)

__all__ = [
    "CALLBACK_SINK",
    "DEFAULT_TOKEN",
    "FAULTS",
    "MODES",
    "OPERATION_PATH",
    "PREFIX",
    "RESULTS_SUFFIX",
    "SCENARIOS",
    "SCENARIO_HEADER",
    "Callback",
    "Cassette",
    "Exchange",
    "Mode",
    "ObservedCodes",
    "SimServer",
    "Simulator",
    "StandIn",
    "StandInServer",
    "Task",
    "TaskBook",
    "running_standin",
    "simulator",
]

STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.05  # how soon shutdown() is noticed


class Simulator:
    """A running simulator: where it is and what it has seen."""

    def __init__(self, server: SimServer) -> None:
        self._server = server

    def __repr__(self) -> str:  # never the token
        return f"Simulator(scenario={self.scenario!r}, base_url={self.base_url!r})"

    @property
    def scenario(self) -> str:
        """The scenario for requests that choose none."""
        return self._server.mode

    @property
    def mode(self) -> str:
        return self._server.mode

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def root(self) -> str:
        """http://host:port, without the base path."""
        return self._server.base_url[: -len(PREFIX)]

    def url_for(self, scenario: str) -> str:
        """A base URL whose requests all run `scenario` (the `/_sim/NAME` path prefix)."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        return f"{self.root}{SCENARIO_PATH}{scenario}{PREFIX}"

    @property
    def accepted_tasks(self) -> int:
        return self._server.accepted_tasks

    @property
    def billed(self) -> int:
        """Tasks created for a request that carried the account's token, also those whose answer was
        lost: what a real account would pay for (a drifted service that lets requests without the
        token through creates tasks nobody is billed for)."""
        return self._server.billed_tasks

    billed_tasks = billed  # the live check's tests' name

    @property
    def requests(self) -> int:
        return self._server.requests

    @property
    def tasks(self) -> list[Task]:
        return self._server.book.tasks

    def task(self, task_id: str) -> Task | None:
        return self._server.book.get(task_id)

    @property
    def callbacks(self) -> list[Callback]:
        with self._server._lock:
            return list(self._server.callbacks)

    @property
    def log(self) -> list[Exchange]:
        """Every request answered so far, in order (method, path, scenario, status, time)."""
        with self._server._lock:
            return list(self._server.log)

    @property
    def callback_sink_url(self) -> str:
        """A notify_url the simulator receives itself (loopback): its calls land in `sim.callbacks`."""
        return f"{self.root}{CALLBACK_SINK}"

    @property
    def book(self) -> TaskBook:
        """The accepted tasks' result reads and image requests (results.py)."""
        return self._server.book


@contextmanager
def simulator(
    scenario: str = "faithful",
    token: str = DEFAULT_TOKEN,
    *,
    task_seconds: float | None = None,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
    callback_hosts: tuple[str, ...] = (),
    host: str = "127.0.0.1",
    port: int = 0,
    replay: str | Path | Cassette | None = None,
    observed: str | Path | ObservedCodes | None = None,
) -> Iterator[Simulator]:
    """Serve the simulator in a background thread for the block (a free port of 127.0.0.1 by default).

    `task_seconds`: None (default) moves a task one status per result read (instant); S>=0 makes it
    take S seconds. `callback_hosts`: hosts besides loopback that notify_url callbacks may reach.
    `replay`: a cassette (HAR file or `Cassette`) answered instead of the simulator's own behaviour
    (replay.py); `observed`: an observed catalog the `observed-codes` scenario answers from (observed.py).
    """
    if replay is not None and not isinstance(replay, Cassette):
        replay = Cassette.load(replay)
    if observed is not None and not isinstance(observed, ObservedCodes):
        observed = ObservedCodes.load(observed)
    server = SimServer(
        scenario,
        token,
        host,
        port,
        task_seconds=task_seconds,
        slow_seconds=slow_seconds,
        callback_hosts=callback_hosts,
        replay=replay,
        observed=observed,
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL_S},
        name=f"hidream-sim-{scenario}",
        daemon=True,
    )
    thread.start()
    try:
        yield Simulator(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=STOP_TIMEOUT_S)


# The names the repository's tests knew the stand-in by (one double: these are the simulator).
StandIn = Simulator
running_standin = simulator
