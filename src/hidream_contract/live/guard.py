"""The one place requests leave the live check, and the one place that decides whether one may.

A requests transport adapter (mounted on the run's only session) that enforces the task budget, a rate
limit, timeouts bounded by the run's deadline, bounded body reads and bounded retries on 429/5xx and
lost answers. Every request of the run goes through it: the explicit probes, schemathesis' negative
cases, the method probes.

The budget counts **possible tasks**: answers that accepted (2xx, envelope `code` 0), plus every
request whose answer does not say "no task" — an answer that never came (a timeout, a reset, a body
that could not be read), or one that cannot be read as the service's verdict (a gateway's HTML 5xx, a
3xx, a 2xx without a readable envelope): the service behind it may have created the task. Only a 4xx
or an envelope with a non-zero integer `code` says no task was created. Before *any* request is sent
— whatever it looks like, retries included, since a drifted service may accept anything — the guard
requires possible tasks (plus requests in flight) < budget; otherwise it raises BudgetExhausted and
nothing leaves the process. A faithful service rejects every negative probe, so those cost nothing;
a drifted one can never make a run exceed its budget.

A request that carries no valid token (no Authorization header, or not the account's) cannot create a
billed task: nobody is billed for it. When the guard is given the digest of the account's Authorization
header, such requests are sent outside the budget (never reserved, never counted, never refused by it),
with the same rate limit, deadline, bounded body and retries as every other; `Traffic.unbilled` counts
them. A drifted service that answers them with server errors can then never spend the budget.

The account's token in another form than the documented one (the bare token, `Token <t>`, ... in any
header: the probes of tokens.py asking whether the service changed its auth scheme) is the account's
token all the same: such a request counts against the budget like one in the documented form, and
the guard sends it only with a body that cannot be a task (`cannot_be_task`, given by the wire: a
body the spec calls invalid, naming no image); any other is refused before it leaves (CouldNotRun).

Redirects are never followed (the session asks for none): a 3xx reaches the checks as the answer it
is, and is counted once.
"""

from __future__ import annotations

import enum
import hashlib
import json
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ANSWER_BYTES = 1024 * 1024  # an envelope is well under 1 KiB; more is never read
LOST_RETRY_WAIT_S = 1.0  # before resending a request whose answer never came (doubles per attempt)


class CouldNotRun(Exception):
    """The check cannot say anything about the contract (exit 2). Messages never carry the token."""


class BudgetExhausted(CouldNotRun):
    pass


class DeadlineExceeded(CouldNotRun):
    pass


class Unreachable(CouldNotRun):
    """Nothing was delivered: no connection, a TLS error. The service cannot have seen the request."""


class NoAnswer(CouldNotRun):
    """The request may have reached the service, but no answer came (timeouts, resets, unreadable
    bodies), also after the retries the budget allowed. Counted as a possible task."""


class TaskEvidence(enum.Enum):
    """What an answer says about whether the service created a task."""

    NONE = "no task"  # a 4xx, or an envelope with a non-zero integer code
    ACCEPTED = "a task"  # 2xx with envelope code 0
    POSSIBLE = "possibly a task"  # anything else, and answers that never came


def authorization_digest(value: str) -> str:
    """Compare Authorization headers by digest, so nothing but the transport holds the token itself."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def task_evidence(status: int, body: bytes | None) -> TaskEvidence:
    """Read an answer for the budget: does it say a task exists? (None for body: it never came.)"""
    if body is None:
        return TaskEvidence.POSSIBLE
    if 400 <= status < 500:
        return TaskEvidence.NONE
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return TaskEvidence.POSSIBLE
    code = envelope.get("code") if isinstance(envelope, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        return TaskEvidence.POSSIBLE
    if code != 0:
        return TaskEvidence.NONE
    return TaskEvidence.ACCEPTED if 200 <= status < 300 else TaskEvidence.POSSIBLE


@dataclass
class Budget:
    """Possible tasks against the limit. `reserve` before a send, `settle` with what the answer said."""

    limit: int
    accepted: int = 0
    unknown: int = 0  # answers that never came or could not be read as a verdict
    in_flight: int = 0
    refused: int = 0  # sends the budget refused
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def possible(self) -> int:
        """Possible tasks so far: what the run may have cost."""
        return self.accepted + self.unknown

    def reserve(self, what: str) -> None:
        with self._lock:
            if self.possible + self.in_flight >= self.limit:
                self.refused += 1
                raise BudgetExhausted(
                    f"refused to send {what}: {self.possible} possible task(s) so far and the budget "
                    f"(HIDREAM_LIVE_MAX_BILLABLE={self.limit}) allows no more"
                )
            self.in_flight += 1

    def settle(self, evidence: TaskEvidence | None) -> None:
        """The reserved request is done; None: it never left (no possible task)."""
        with self._lock:
            self.in_flight -= 1
            if evidence is TaskEvidence.ACCEPTED:
                self.accepted += 1
            elif evidence is TaskEvidence.POSSIBLE:
                self.unknown += 1


@dataclass
class Attempt:
    status: int | None  # None: no answer came
    evidence: TaskEvidence
    note: str = ""  # why no answer, or that the body was cut


@dataclass
class Exchange:
    """Everything the guard did for one request: its attempts, and whether a due retry was refused."""

    attempts: list[Attempt] = field(default_factory=list)
    retry_refused: bool = False  # a retry was due, and the budget refused it

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


@dataclass
class Traffic:
    """What went over the wire: for the summary, the 2-vs-1 rule and the tests."""

    sent: int = 0
    unbilled: int = 0  # attempts without the account's token: outside the budget (they bill nobody)
    retries: int = 0
    lost: int = 0  # attempts whose answer never came
    statuses: dict[int, int] = field(default_factory=dict)
    answered_non_transient: bool = False  # did the service answer anything with a non-429/5xx status
    _exchanges: weakref.WeakKeyDictionary[requests.PreparedRequest, Exchange] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )

    def begin(self, request: requests.PreparedRequest) -> Exchange:
        exchange = Exchange()
        self._exchanges[request] = exchange
        return exchange

    def record(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status not in TRANSIENT_STATUSES:
            self.answered_non_transient = True

    def exchange(self, request: Any) -> Exchange | None:
        """The guard's account of one request (the PreparedRequest a response carries)."""
        try:
            return self._exchanges.get(request)
        except TypeError:  # not a PreparedRequest the guard saw
            return None


class FreeReads(Protocol):
    """Requests that can create no task (the result read, live/results.py): sent outside the budget,
    bounded by their own allowance; `take` raises CouldNotRun when it is spent."""

    def covers(self, request: requests.PreparedRequest) -> bool: ...
    def take(self, what: str) -> None: ...


class Recorder(Protocol):
    """Keeps every send and its answer (live/cassette.py): `transport()` sends, its result is returned."""

    def send(
        self, request: requests.PreparedRequest, transport: Callable[[], requests.Response]
    ) -> requests.Response: ...


class GuardedAdapter(HTTPAdapter):
    recorder: Recorder | None = None  # set by the run that keeps a cassette (live/cassette.py)

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
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        free_reads: FreeReads | None = None,
        account_authorization_digest: str | None = None,
        account_token_digest: str | None = None,
        cannot_be_task: Callable[[Any], bool] | None = None,
    ) -> None:
        super().__init__(max_retries=0)  # our own retry rule below; urllib3's would bypass the budget
        self.budget = budget
        self.traffic = traffic
        self._min_interval_s = min_interval_s
        self._timeout_s = timeout_s
        self._deadline = deadline
        self._retries = retries
        self._max_retry_wait_s = max_retry_wait_s
        self._max_answer_bytes = max_answer_bytes
        self._sleep = sleep
        self._clock = clock
        self._last_sent = float("-inf")
        self._lock = threading.Lock()
        self._free_reads = free_reads
        self._account = account_authorization_digest
        self._token = account_token_digest
        self._cannot_be_task = cannot_be_task

    def billable(self, request: requests.PreparedRequest) -> bool:
        """Whether the request could create a billed task: it carries the account's token, in the
        documented form or any other. Without the account's digest (None), every request counts."""
        if self._account is None:
            return True
        value = request.headers.get("Authorization")
        documented = value is not None and authorization_digest(value) == self._account
        return documented or self.token_in_other_form(request)

    def token_in_other_form(self, request: requests.PreparedRequest) -> bool:
        """Whether a header carries the account's token other than as the documented Authorization
        value: whole, or as one word of it (`Token <t>`)."""
        if self._token is None:
            return False
        for name, value in request.headers.items():
            if name.lower() == "authorization" and authorization_digest(value) == self._account:
                continue
            if any(authorization_digest(part) == self._token for part in (value, *value.split())):
                return True
        return False

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        what = f"{request.method} {_path(request)}"
        if self._free_reads is not None and self._free_reads.covers(request):
            return self._send_free(request, what, kwargs)
        if self.token_in_other_form(request) and not (
            self._cannot_be_task is not None and self._cannot_be_task(request.body)
        ):
            raise CouldNotRun(
                f"refused to send {what}: it carries the account's token in another form than the "
                "documented one, with a body that could be a task (a bug of the check)"
            )
        exchange = self.traffic.begin(request)
        billable = self.billable(request)
        last: requests.Response | None = None  # the last transient answer, returned if no retry may go
        while True:
            timeout_s = self._before_send(what)
            try:
                if billable:
                    self.budget.reserve(what)  # raises before anything leaves the process
            except BudgetExhausted:
                if not exchange.attempts:
                    raise
                exchange.retry_refused = True
                if last is not None:
                    return last  # the caller sees the 429/5xx; the runner knows no retry was sent
                raise NoAnswer(
                    f"{what}: {exchange.attempts[-1].note} from {_origin(request)}; a retry would exceed "
                    f"the budget (HIDREAM_LIVE_MAX_BILLABLE={self.budget.limit})"
                ) from None
            self.traffic.sent += 1
            self.traffic.unbilled += 0 if billable else 1
            response, attempt = self._attempt(request, what, timeout_s, kwargs, billable)
            exchange.attempts.append(attempt)
            retries = len(exchange.attempts) - 1
            if response is None:  # no answer: a possible task; resent while retries and the budget allow
                self.traffic.lost += 1
                if retries >= self._retries:
                    raise NoAnswer(
                        f"{what}: {attempt.note} from {_origin(request)}, also after {retries} retries"
                    )
                last = None
                wait = min(LOST_RETRY_WAIT_S * 2**retries, self._max_retry_wait_s)
            elif response.status_code not in TRANSIENT_STATUSES or retries >= self._retries:
                return response
            else:
                last = response
                wait = _retry_wait(response.headers, retries + 1, self._max_retry_wait_s)
            self.traffic.retries += 1
            self._sleep(wait)

    def _send_free(
        self, request: requests.PreparedRequest, what: str, kwargs: dict[str, Any]
    ) -> requests.Response:
        """A free read: its own allowance instead of the budget, sent once (no retry); the rate limit,
        the deadline and the bounded body as for every request."""
        self._free_reads.take(what)  # type: ignore[union-attr]  # send() checked it is set
        timeout_s = self._before_send(what)
        exchange = self.traffic.begin(request)
        self.traffic.sent += 1
        try:
            response = self._transport(request, timeout_s, kwargs)
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            self.traffic.lost += 1
            raise NoAnswer(f"{what}: no answer from {_origin(request)} ({type(exc).__name__})") from None
        body, note = self._read_bounded(response)
        exchange.attempts.append(Attempt(response.status_code, TaskEvidence.NONE, note))
        if body is None:
            response.close()
            self.traffic.lost += 1
            raise NoAnswer(f"{what}: {note} from {_origin(request)}")
        self.traffic.record(response.status_code)
        return response

    def _attempt(
        self,
        request: requests.PreparedRequest,
        what: str,
        timeout_s: float,
        kwargs: dict[str, Any],
        billable: bool = True,
    ) -> tuple[requests.Response | None, Attempt]:
        """One send, settled with the budget (when billable). (None, attempt) when no readable answer came."""
        budget = self.budget if billable else None
        try:
            response = self._transport(request, timeout_s, kwargs)
        except Exception as exc:
            why = _lost_or_raise(exc, what, request, budget)
            if budget is not None:
                budget.settle(TaskEvidence.POSSIBLE)
            return None, Attempt(None, TaskEvidence.POSSIBLE, f"{why} (timeout {timeout_s:g} s)")
        body, note = self._read_bounded(response)
        evidence = task_evidence(response.status_code, body)
        if budget is not None:
            budget.settle(evidence)
        if body is None:
            response.close()
            return None, Attempt(response.status_code, evidence, note)
        self.traffic.record(response.status_code)
        return response, Attempt(response.status_code, evidence, note)

    def _transport(
        self, request: requests.PreparedRequest, timeout_s: float, kwargs: dict[str, Any]
    ) -> requests.Response:
        """The one place a request meets the network; the recorder, when set, sees every attempt."""
        send = partial(HTTPAdapter.send, self, request, stream=True, timeout=timeout_s, **kwargs)
        return send() if self.recorder is None else self.recorder.send(request, send)

    def _before_send(self, what: str) -> float:
        """Wait for the rate limit; the timeout this send may use (never past the run's deadline)."""
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
            return max(0.001, min(self._timeout_s, self._deadline - self._clock()))

    def _read_bounded(self, response: requests.Response) -> tuple[bytes | None, str]:
        """Read at most max_answer_bytes of the body, so a huge or endless answer cannot hold the run.
        None when the body could not be read (the answer is lost); a note when it was cut."""
        limit = self._max_answer_bytes
        try:
            data = response.raw.read(limit + 1, decode_content=True) if response.raw is not None else b""
        except (
            urllib3.exceptions.HTTPError,
            requests.exceptions.RequestException,
            OSError,
        ) as exc:
            return None, f"the body could not be read ({type(exc).__name__})"
        data = data or b""
        note = ""
        if len(data) > limit:
            data, note = data[:limit], f"body cut at {limit} bytes (HIDREAM_LIVE: bounded read)"
            response.close()  # the rest is never read
        response._content = data  # requests' own cache: .content returns what was read
        response._content_consumed = True  # type: ignore[attr-defined]
        return data, note


def _lost_or_raise(
    exc: Exception, what: str, request: requests.PreparedRequest, budget: Budget | None
) -> str:
    """Why a failed send lost its answer, when the request may have reached the service (a possible
    task). Raises Unreachable when it cannot have (nothing was delivered), and re-raises our own bugs.
    `budget` None: the request was not billable (nothing reserved, nothing to settle)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError) or (
        isinstance(exc, requests.exceptions.ConnectionError) and _not_connected(exc)
    ):
        if budget is not None:
            budget.settle(None)
        if isinstance(exc, requests.exceptions.SSLError):
            raise Unreachable(f"TLS error talking to {_origin(request)}: {type(exc).__name__}") from None
        raise Unreachable(f"cannot connect to {_origin(request)} ({what})") from None
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.RequestException | urllib3.exceptions.HTTPError | OSError):
        return f"the connection failed before an answer ({type(exc).__name__})"
    if budget is not None:
        budget.settle(TaskEvidence.POSSIBLE)  # a bug of ours: counted, and it surfaces
    raise exc


def _not_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when no connection was made (refused, DNS): the request never left."""
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError)


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
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


class GuardedSession(requests.Session):
    """A session that never follows a redirect: a 3xx is the answer under test, sent and counted once."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


def guarded_session(adapter: GuardedAdapter) -> requests.Session:
    session = GuardedSession()
    # Proxies and CA bundles still come from the environment (CI may need them), but never .netrc
    # credentials: requests consults .netrc only while no auth is set, so set one that adds nothing.
    session.auth = _no_auth
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
