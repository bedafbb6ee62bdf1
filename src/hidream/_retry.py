"""When to try a call again, and how long to wait: the policy, and the decisions of one call's loop.

A submit creates a paid task and the provider does not say it is idempotent. So only failures after
which no task can exist are retried by default: the connection was never made (refused, DNS, connect
or pool timeout), HTTP 429, or an envelope `code` listed in `retry_codes` (an explicit "not processed").
After a read/write timeout, a dropped connection or a 5xx the task may exist; retrying those is opt-in.

The loop itself is one explicit `while` in `_core` (sync and async alike, in the shape of openai-python's
`_base_client`); every decision it takes is here, shared: `Retries.wait_after` says whether a failure is
final (`should_retry`, the attempt count, the time budget, the call's deadline) and how long to wait
first (`calculate_retry_timeout`).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from anyio import sleep as anyio_sleep  # from-imports: see _core

from hidream.errors import (
    APIConnectionError,
    HiDreamError,
    InvalidInputError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
)

logger = logging.getLogger("hidream")


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried. `RetryPolicy.disabled()` sends every request exactly once.

    Attributes:
        max_attempts: requests sent at most, the first one included (1 = no retry).
        max_total_seconds: no new attempt starts once this much time has passed since the first, or
            when the wait before it would cross that line (a long Retry-After then ends the call at once).
        initial_backoff, max_backoff, jitter: exponential backoff in seconds (initial * 2**n, capped at
            max_backoff) plus a random 0..jitter; a server's Retry-After is waited at least.
        retry_timeouts: also retry after a read/write timeout or a connection lost mid-request (the
            task may have been created: opt-in).
        retry_server_errors: also retry after a 5xx (the task may have been created: opt-in).
        retry_codes: envelope codes that mean "not processed, try again"; the provider publishes none.
    """

    max_attempts: int = 3
    max_total_seconds: float = 60.0
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.5
    retry_timeouts: bool = False
    retry_server_errors: bool = False
    retry_codes: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise InvalidInputError("max_attempts", f"must be an int >= 1, got {self.max_attempts!r}")
        for name in ("max_total_seconds", "initial_backoff", "max_backoff", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidInputError(name, f"must be a number >= 0, got {value!r}")
        object.__setattr__(self, "retry_codes", frozenset(self.retry_codes))

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """Send each request once, whatever happens."""
        return cls(max_attempts=1)

    def replace(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed, e.g. `policy.replace(retry_server_errors=True)`."""
        return dataclasses.replace(self, **changes)

    def should_retry(self, error: BaseException) -> bool:
        """Whether `error` may be followed by another attempt under this policy (ignoring the bounds)."""
        if isinstance(error, RateLimitError):
            return True
        if isinstance(error, APIConnectionError):
            return not error.request_sent or self.retry_timeouts
        if isinstance(error, ServerError):
            return self.retry_server_errors
        if isinstance(error, RejectedRequestError):
            return error.code in self.retry_codes
        return False


def calculate_retry_timeout(policy: RetryPolicy, failed_attempts: int, error: BaseException) -> float:
    """The wait before the next attempt: `initial_backoff * 2**(failed_attempts - 1)` plus a random
    0..jitter, capped at `max_backoff`; never shorter than the server's Retry-After."""
    exponent = min(failed_attempts - 1, 64)  # 2**64 seconds is past any cap, and no OverflowError
    backoff = min(
        policy.initial_backoff * 2.0**exponent + random.uniform(0, policy.jitter),  # noqa: S311 - jitter
        policy.max_backoff,
    )
    retry_after = getattr(error, "retry_after", None)
    return max(backoff, retry_after) if retry_after is not None else backoff


# Indirections so tests can record the waits instead of sleeping through them.
def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    await anyio_sleep(seconds)


class Retries:
    """The retry decisions of one call, made after each failed attempt; created at the first failure."""

    __slots__ = ("_deadline_at", "_policy", "_started", "_what", "failed")

    def __init__(self, policy: RetryPolicy, what: str, *, started: float, deadline_at: float | None) -> None:
        self._policy = policy
        self._what = what
        self._started = started
        self._deadline_at = deadline_at
        self.failed = 0

    def wait_after(self, error: HiDreamError) -> float | None:
        """Seconds to wait before trying again after `error`, or None: `error` ends the call.

        It ends the call when the policy does not retry it, after `max_attempts` requests, or when the
        wait would reach `max_total_seconds` since the first attempt or the call's deadline.
        """
        self.failed += 1
        policy = self._policy
        if not policy.should_retry(error):
            return None
        wait = calculate_retry_timeout(policy, self.failed, error)
        now = time.monotonic()
        if (
            self.failed >= policy.max_attempts
            or now - self._started + wait >= policy.max_total_seconds
            or (self._deadline_at is not None and now + wait >= self._deadline_at)
        ):
            return None
        logger.warning(
            "%s: attempt %d/%d failed with %s (request_id=%s); retrying in %.2fs",
            self._what,
            self.failed,
            policy.max_attempts,
            type(error).__name__,
            error.request_id,
            wait,
        )
        return wait

    @staticmethod
    def sleep(seconds: float) -> None:
        _sleep(seconds)

    @staticmethod
    async def async_sleep(seconds: float) -> None:
        await _async_sleep(seconds)
