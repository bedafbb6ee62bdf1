"""How a wait polls: when the next result read happens, when the wait gives up, what a final result means.

The schedule is bounded: the first read at once, then waits of 1 s, 2 s, 4 s… up to `poll_interval`
(default 5 s, the provider's own client's). `timeout` (default 300 s, the provider's too) is a hard
bound on the whole wait: every read (its connection, retries and their pauses) gets what is left of
it as its deadline, a pause never crosses it, and a server that asks to come back (`Retry-After`)
later than it ends the wait at once with `WaitTimeoutError` naming the task. So a wait sends at most
about `timeout / poll_interval + log2(poll_interval) + 2` reads, and only reads: it never submits.
"""

from __future__ import annotations

import math
import time
from typing import Final

from anyio import sleep as anyio_sleep  # from-imports: see _core

from hidream._model import TaskResult, TaskStatus
from hidream.errors import (
    APITimeoutError,
    HiDreamError,
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
LAST_READ_RESERVE: Final = 1.0
"""The time the last read of a wait keeps for itself (at most a tenth of the wait): a pause never
leaves the next read less than this before the wait's end."""


# Indirections so tests can run a wait on a fake clock instead of sleeping through it.
def _now() -> float:
    return time.monotonic()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    await anyio_sleep(seconds)


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
        self._reserve = min(LAST_READ_RESERVE, self.timeout / 10)
        self._started: float | None = None
        self.reads = 0
        self.last: TaskResult | None = None

    def start(self) -> None:
        """The clock starts with the first read (for `submit_and_wait`: after the submit answered)."""
        self._started = _now()

    def _waited(self) -> float:
        return _now() - (self._started if self._started is not None else _now())

    def timed_out(self, why: str = "") -> WaitTimeoutError:
        """The time-out of this wait, naming the task and how to read it later."""
        waited = self._waited()
        last = self.last.status.name.lower() if self.last is not None else "none read"
        return WaitTimeoutError(
            f"task {self.task_id} was not finished after {waited:.1f}s{why} "
            f"({self.reads} reads; last status: {last}); it may still finish: "
            f"read it later with client.upscale.result({self.task_id!r})",
            task_id=self.task_id,
            waited=waited,
            result=self.last,
        )

    def read_deadline(self, client_deadline: float | None) -> float | None:
        """The deadline of the next read: what is left of the wait (the first read of a wait with
        `timeout=0` gets the client's), never more than the client's own deadline."""
        remaining = self.timeout - self._waited()
        if remaining <= 0:
            if self.reads == 0:
                return client_deadline
            raise self.timed_out()
        return remaining if client_deadline is None else min(remaining, client_deadline)

    def failed(self, error: HiDreamError) -> WaitTimeoutError | None:
        """The wait's time-out when a read failed because the wait's time ran out (or the server asks
        to come back after it), else None (the read's own error then ends the wait)."""
        remaining = self.timeout - self._waited()
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and retry_after >= remaining:
            return self.timed_out(
                f"; the server asked to come back in {retry_after:g}s, after the wait's end"
            )
        if isinstance(error, APITimeoutError) and remaining <= 0.05:
            return self.timed_out()
        return None

    def next_delay(self, result: TaskResult) -> float:
        """The wait before the next read, or `WaitTimeoutError` when the time is up."""
        self.reads += 1
        self.last = result
        remaining = self.timeout - self._waited()
        if remaining <= self._reserve:
            raise self.timed_out()
        delay = min(self._next, remaining - self._reserve)
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
