"""When to try a call again, and how long to wait: the policy, built on tenacity.

A submit creates a paid task and the provider does not say it is idempotent. So only failures after
which no task can exist are retried by default: the connection was never made (refused, DNS, connect
or pool timeout), HTTP 429, or an envelope `code` listed in `retry_codes` (an explicit "not processed").
After a read/write timeout, a dropped connection or a 5xx the task may exist; retrying those is opt-in.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import tenacity

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


# Indirections so tests can record the waits instead of sleeping through them.
def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


class _Wait(tenacity.wait.wait_base):
    """Exponential backoff with jitter, but never shorter than the server's Retry-After."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = tenacity.wait_exponential_jitter(
            multiplier=policy.initial_backoff, max=policy.max_backoff, jitter=policy.jitter
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        backoff: float = self._backoff(retry_state)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        return max(backoff, retry_after) if retry_after is not None else backoff


def _log_retry(policy: RetryPolicy, what: str) -> Callable[[tenacity.RetryCallState], None]:
    def log(retry_state: tenacity.RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        request_id = error.request_id if isinstance(error, HiDreamError) else None
        logger.warning(
            "%s: attempt %d/%d failed with %s (request_id=%s); retrying in %.2fs",
            what,
            retry_state.attempt_number,
            policy.max_attempts,
            type(error).__name__,
            request_id,
            retry_state.upcoming_sleep,
        )

    return log


def _settings(policy: RetryPolicy, what: str) -> dict[str, Any]:
    return {
        "stop": tenacity.stop_after_attempt(policy.max_attempts)
        | tenacity.stop_before_delay(policy.max_total_seconds),
        "wait": _Wait(policy),
        "retry": tenacity.retry_if_exception(policy.should_retry),
        "before_sleep": _log_retry(policy, what),
        "reraise": True,  # the caller sees the last typed error, never tenacity.RetryError
    }


def retrying(policy: RetryPolicy, what: str) -> tenacity.Retrying:
    """A tenacity controller for one synchronous call."""
    return tenacity.Retrying(sleep=lambda seconds: _sleep(seconds), **_settings(policy, what))


def async_retrying(policy: RetryPolicy, what: str) -> tenacity.AsyncRetrying:
    """A tenacity controller for one asynchronous call."""
    return tenacity.AsyncRetrying(sleep=lambda seconds: _async_sleep(seconds), **_settings(policy, what))
