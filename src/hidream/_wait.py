"""How a wait polls: when the next result read happens, when the wait gives up, what a final result means.

The schedule is bounded: the first read at once, then waits of 1 s, 2 s, 4 s… up to `poll_interval`
(default 5 s, the provider's own client's), and the last read when `timeout` (default 300 s, the
provider's too) is reached — never a read after it. So a wait sends at most about
`timeout / poll_interval + log2(poll_interval) + 2` reads, and only reads: it never submits.
"""

from __future__ import annotations

import math
import time
from typing import Final

import anyio

from hidream._model import TaskResult, TaskStatus
from hidream.errors import (
    InvalidInputError,
    TaskFailedError,
    TaskRefusedError,
    UnknownTaskStatusError,
    WaitTimeoutError,
)

DEFAULT_WAIT_TIMEOUT: Final = 300.0
DEFAULT_POLL_INTERVAL: Final = 5.0
MIN_POLL_INTERVAL: Final = 0.05
FIRST_POLL_DELAY: Final = 1.0


# Indirections so tests can run a wait on a fake clock instead of sleeping through it.
def _now() -> float:
    return time.monotonic()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


def _seconds(field: str, value: object, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(field, f"must be a finite number of seconds, not {value!r}")
    if value < minimum:
        raise InvalidInputError(field, f"must be at least {minimum:g} seconds, not {value!r}")
    return float(value)


class Poller:
    """One wait's schedule. Checks its arguments when created, before anything is sent."""

    def __init__(self, task_id: str, timeout: object, poll_interval: object) -> None:
        self.task_id = task_id
        self.timeout = _seconds("timeout", timeout, minimum=0.0)
        self.interval = _seconds("poll_interval", poll_interval, minimum=MIN_POLL_INTERVAL)
        self._next = min(FIRST_POLL_DELAY, self.interval)
        self._started: float | None = None
        self.reads = 0
        self.last: TaskResult | None = None

    def start(self) -> None:
        """The clock starts with the first read (for `submit_and_wait`: after the submit answered)."""
        self._started = _now()

    def next_delay(self, result: TaskResult) -> float:
        """The wait before the next read, or `WaitTimeoutError` when the time is up."""
        self.reads += 1
        self.last = result
        started = self._started if self._started is not None else _now()
        waited = _now() - started
        remaining = self.timeout - waited
        if remaining <= 0:
            raise WaitTimeoutError(
                f"task {self.task_id} was not finished after {waited:.1f}s "
                f"({self.reads} reads; last status: {result.status.name.lower()}); it may still finish: "
                f"read it later with client.upscale.result({self.task_id!r})",
                task_id=self.task_id,
                waited=waited,
                result=result,
            )
        delay = min(self._next, remaining)
        self._next = min(self._next * 2, self.interval)
        return delay


def finished(result: TaskResult) -> TaskResult:
    """A final result if it succeeded; the typed error if a sub-task failed or was refused."""
    task = result.task_id or "(unnamed)"
    if result.status is TaskStatus.REFUSED:
        raise TaskRefusedError(
            f"task {task} failed the safety review (task_status 4)", task_id=result.task_id, result=result
        )
    if result.ended_unknown:
        statuses = ", ".join(map(str, result.unknown_statuses))
        raise UnknownTaskStatusError(
            f"task {task} ended at task_status {statuses}, which the client does not know; "
            "it is not a success (the provider's own client stops here too)",
            task_id=result.task_id,
            result=result,
        )
    if result.status is TaskStatus.FAILED:
        raise TaskFailedError(f"task {task} failed (task_status 3)", task_id=result.task_id, result=result)
    return result
