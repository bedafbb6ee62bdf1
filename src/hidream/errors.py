"""The errors the client raises: one base class, a subclass per thing a caller reacts to differently.

Every error carries the envelope's `code`, `message` and `request_id` when the service sent them, and
the HTTP status when there was a response. None of them ever holds the API token: messages that come
from the service are redacted before they reach an error (see `_core`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hidream._model import TaskResult


class HiDreamError(Exception):
    """Base of every error this package raises.

    Attributes:
        code: the envelope's `code` (None when there was no envelope).
        message: what went wrong, in the service's words when it said something.
        request_id: the envelope's `request_id` (None when the service sent none).
        http_status: the HTTP status of the response (None when there was no response).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.http_status = http_status

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("http_status", self.http_status),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message


class InvalidInputError(HiDreamError, ValueError):
    """An argument was refused before anything was sent; names the field and what it accepts."""

    def __init__(self, field: str, problem: str, *, allowed: Sequence[object] | None = None) -> None:
        self.field = field
        self.problem = problem
        self.allowed = tuple(allowed) if allowed is not None else None
        text = f"{field}: {problem}"
        if self.allowed is not None:
            text += f" (allowed: {', '.join(repr(value) for value in self.allowed)})"
        super().__init__(text)


class AuthenticationError(HiDreamError):
    """No token, or the service refused it (HTTP 401 or 403)."""


class _WithRetryAfter(HiDreamError):
    """An error whose response may say when to come back: `retry_after` in seconds, if it did."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        code: int | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, http_status=http_status)
        self.retry_after = retry_after


class RateLimitError(_WithRetryAfter):
    """HTTP 429: the request was not processed. `retry_after`: the server's wait in seconds, if any."""


class ServerError(_WithRetryAfter):
    """HTTP 5xx. The task may or may not have been created, so it is retried only on request."""


class RejectedRequestError(HiDreamError):
    """The service answered with the envelope and a non-zero `code`: it refused the request."""


class MalformedResponseError(HiDreamError):
    """The response is not the envelope the spec describes (not JSON, truncated, wrong shape)."""


class MalformedServerError(ServerError, MalformedResponseError):
    """A 5xx whose body is not the envelope, e.g. a proxy's HTML 502 page: a server error and malformed."""


class APIConnectionError(HiDreamError):
    """No response arrived. `request_sent` is False only when the request surely never left this machine."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """A timeout; `phase` is connect, read, write, pool (waiting for a free connection), or deadline
    (the whole call's `deadline` passed, whatever the phase)."""

    def __init__(self, message: str, *, phase: str, request_sent: bool) -> None:
        super().__init__(message, request_sent=request_sent)
        self.phase = phase


# The task's lifecycle (`client.upscale.wait`, `submit_and_wait`, `download`, `parse_callback`).


class TaskError(HiDreamError):
    """The task ended without its image. `task_id` names it; `result` is its last `TaskResult`."""

    def __init__(self, message: str, *, task_id: str | None, result: TaskResult) -> None:
        super().__init__(message, request_id=result.request_id)
        self.task_id = task_id
        self.result = result


class TaskFailedError(TaskError):
    """A sub-task failed (task_status 3)."""


class TaskRefusedError(TaskError):
    """A sub-task failed the provider's safety review (task_status 4)."""


class UnknownTaskStatusError(TaskFailedError):
    """Every sub-task ended at a status the client does not know (neither transient, nor 1, 3 or 4):
    the provider's own client stops there too. `statuses` lists them."""

    def __init__(self, message: str, *, task_id: str | None, result: TaskResult) -> None:
        super().__init__(message, task_id=task_id, result=result)
        self.statuses = result.unknown_statuses


class WaitTimeoutError(HiDreamError, TimeoutError):
    """The task was not final when the wait ended; it may still finish: read it later by `task_id`.

    `waited` is the wait in seconds; `result` the last `TaskResult` read (None if no read answered).
    """

    def __init__(self, message: str, *, task_id: str, waited: float, result: TaskResult | None) -> None:
        super().__init__(message, request_id=result.request_id if result else None)
        self.task_id = task_id
        self.waited = waited
        self.result = result


class DownloadError(HiDreamError):
    """An output image could not be downloaded: an HTTP error, too large, too slow, or not an image.
    Nothing was written. `url` is the image's URL without its query (which may hold a signature)."""

    def __init__(self, message: str, *, url: str, http_status: int | None = None) -> None:
        super().__init__(message, http_status=http_status)
        self.url = url


class InvalidCallbackError(HiDreamError, ValueError):
    """A `notify_url` request whose body is not the task result the spec describes."""
