"""The one place requests leave the live check: a requests transport adapter that enforces the
billable budget, a rate limit, timeouts, the run's deadline and bounded retries on 429/5xx.

Every request of the run — the explicit probes, schemathesis' negative cases, the method probes —
goes through a session with this adapter mounted, so the budget is a hard counter, not a hope: a
request that names a real image (see requests_model.names_real_image) is counted *before* it is
sent, whatever the answer, retries included; once the budget is spent, such a request is refused
with BudgetExhausted and never leaves the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from hidream_contract.live.requests_model import names_real_image

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class CouldNotRun(Exception):
    """The check cannot say anything about the contract (exit 2). Messages never carry the token."""


class BudgetExhausted(CouldNotRun):
    pass


class DeadlineExceeded(CouldNotRun):
    pass


class Unreachable(CouldNotRun):
    pass


@dataclass
class Budget:
    limit: int
    spent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def spend(self, what: str) -> None:
        with self._lock:
            if self.spent >= self.limit:
                raise BudgetExhausted(
                    f"refused to send {what}: it could become a paid task and the budget "
                    f"(HIDREAM_LIVE_MAX_BILLABLE={self.limit}) is spent"
                )
            self.spent += 1


@dataclass
class Traffic:
    """What went over the wire: for the summary, the 2-vs-1 rule and the tests."""

    sent: int = 0
    billable_sent: int = 0
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    answered_non_transient: bool = False  # did the service answer anything with a non-429/5xx status

    def record(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status not in TRANSIENT_STATUSES:
            self.answered_non_transient = True


class GuardedAdapter(HTTPAdapter):
    def __init__(
        self,
        *,
        budget: Budget,
        traffic: Traffic,
        min_interval_s: float,
        timeout_s: float,
        deadline: float,
        retries: int,
        max_retry_wait_s: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_retries=0)  # our own retry rule below; urllib3's would bypass the budget
        self.budget = budget
        self.traffic = traffic
        self._min_interval_s = min_interval_s
        self._timeout_s = timeout_s
        self._deadline = deadline
        self._retries = retries
        self._max_retry_wait_s = max_retry_wait_s
        self._sleep = sleep
        self._clock = clock
        self._last_sent = float("-inf")
        self._lock = threading.Lock()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        billable = names_real_image(request.body)
        what = f"{request.method} {_path(request)}"
        attempt = 0
        while True:
            self._before_send(what)
            if billable:
                self.budget.spend(what)  # raises before anything leaves the process
                self.traffic.billable_sent += 1
            self.traffic.sent += 1
            try:
                response = super().send(request, stream=stream, timeout=self._timeout_s, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise Unreachable(f"TLS error talking to {_origin(request)}: {type(exc).__name__}") from None
            except requests.exceptions.Timeout:
                raise Unreachable(
                    f"{what}: no answer within {self._timeout_s:g} s from {_origin(request)}"
                ) from None
            except requests.exceptions.ConnectionError:
                raise Unreachable(f"cannot connect to {_origin(request)} ({what})") from None
            self.traffic.record(response.status_code)
            if response.status_code not in TRANSIENT_STATUSES or attempt >= self._retries:
                return response
            if billable and self.budget.spent >= self.budget.limit:
                return response  # a retry would be another billable send: the caller sees the 429/5xx
            attempt += 1
            self.traffic.retries += 1
            wait = _retry_wait(response.headers, attempt, self._max_retry_wait_s)
            response.close()
            self._sleep(wait)

    def _before_send(self, what: str) -> None:
        with self._lock:
            now = self._clock()
            if now >= self._deadline:
                raise DeadlineExceeded(
                    f"the run's time limit (HIDREAM_LIVE_MAX_RUN_S) was reached before {what}"
                )
            gap = self._last_sent + self._min_interval_s - now
            if gap > 0:
                self._sleep(gap)
            self._last_sent = max(now, self._last_sent + self._min_interval_s)


def _retry_wait(headers: Mapping[str, str], attempt: int, cap: float) -> float:
    """Retry-After (seconds) when the service sends it, else 1 s, 2 s, 4 s...; never above `cap`."""
    raw = headers.get("Retry-After", "")
    try:
        wait = float(raw)
    except ValueError:
        wait = float(2 ** (attempt - 1))
    return max(0.0, min(wait, cap))


def _path(request: requests.PreparedRequest) -> str:
    return urlsplit(request.url or "").path


def _origin(request: requests.PreparedRequest) -> str:
    parts = urlsplit(request.url or "")
    return f"{parts.scheme}://{parts.netloc}"


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def guarded_session(adapter: GuardedAdapter) -> requests.Session:
    session = requests.Session()
    # Proxies and CA bundles still come from the environment (CI may need them), but never .netrc
    # credentials: requests consults .netrc only while no auth is set, so set one that adds nothing.
    session.auth = _no_auth
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
