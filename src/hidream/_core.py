"""Send any generated operation through one connection pool, with auth, timeouts, retries and typed errors.

Nothing here is specific to one endpoint. An `Endpoint` pairs a module that openapi-python-client
generated (`hidream_api_client.api.<tag>.<operation>`) with the `from_dict` of the model of its
`code` 0 envelope; the module's request builder (`_get_kwargs`, the same one its `sync_detailed` uses)
turns the arguments into method, path, headers and JSON, and this module does the rest. Adding an
endpoint of the same gateway to the spec therefore needs one `Endpoint(...)` line and no new
envelope, error or retry code.

One call is one explicit loop (`SyncCore.call`, `AsyncCore.call`): send an attempt; on a typed failure
ask `Retries.wait_after` whether to wait and go again. Every attempt is bounded by the per-phase
timeouts and by the call's deadline, reads at most `MAX_RESPONSE_BYTES` of the answer, and never
follows a redirect.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from types import ModuleType
from typing import Any, Final, Generic, TypeVar

import attrs
import httpcore
import httpx

# anyio's names are from-imported, so resolved when the client is imported: anyio imports its parts on
# first use (lazy module attributes), and a first use inside a worker or server thread would import, and
# under pytest's assertion rewriting (anyio is a pytest plugin) parse, Python there. CPython 3.11 cannot
# parse in two threads at once (python/cpython#106905: a SystemError seen in test_async_batch).
from anyio import fail_after

from hidream._envelope import ENVELOPE_KEYS, BodyReader, read_envelope
from hidream._retry import Retries, RetryPolicy
from hidream._secret import Secret
from hidream.errors import (
    APIConnectionError,
    APITimeoutError,
    HiDreamError,
    InvalidInputError,
    MalformedResponseError,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "NOT_GIVEN", "Endpoint", "Secret"]

E = TypeVar("E")
T = TypeVar("T")
logger = logging.getLogger("hidream")

DEFAULT_BASE_URL: Final = "https://www.hidreamai.com/api-pub/gw/v3"
# Connect fails fast (a submit answers at once; the work happens later), reading waits longer, and
# writing allows for a 10 MiB image sent as base64 over a slow uplink.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=60.0, pool=10.0)
# The whole call, retries and waits included: room for a 10 MiB image (13 MiB as base64) over a
# 0.5 Mbit/s uplink, and a bound on a server that keeps a call alive by sending a byte now and then.
DEFAULT_DEADLINE: Final = 300.0
_WRITE_CHUNK: Final = 64 * 1024


class NotGiven(Enum):
    """Marks an argument the caller left out (so `timeout=None`, no timeout at all, stays expressible)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven.NOT_GIVEN
TimeoutArg = float | httpx.Timeout | None
DeadlineArg = float | None


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for all clients of this process: loading the CA bundle is the costly part."""
    return httpx.create_ssl_context()


def checked_deadline(value: object, *, field: str = "deadline") -> float | None:
    """Seconds > 0 for the whole call, or None for no deadline."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise InvalidInputError(field, f"must be a number of seconds > 0, or None, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Deadline:
    """When a call must be over: `seconds` after it started, at `at` on the monotonic clock."""

    seconds: float
    at: float

    def passed(self, slack: float = 0.01) -> bool:
        # A socket timeout clamped to the deadline fires at it, give or take the clock's grain.
        return time.monotonic() >= self.at - slack


# The deadline of the call running in this thread or task, read by the sockets of the client's own pool.
_DEADLINE: ContextVar[float | None] = ContextVar("hidream_deadline", default=None)


def _clamp(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise timeout_error("the call's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits no longer than the current call's deadline allows.

    httpx's timeouts bound each socket operation, so a server that sends a byte now and then (of the
    headers or of the body) or reads the upload slowly keeps a call alive for ever; this bounds it.
    """

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        view = memoryview(buffer)
        for start in range(0, len(view), _WRITE_CHUNK):  # one deadline check per 64 KiB
            self._stream.write(view[start : start + _WRITE_CHUNK], _clamp(timeout, httpcore.WriteTimeout))  # type: ignore[arg-type]

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - the client never sets uds=
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore sleeps only between its retries
        self._backend.sleep(seconds)


@contextlib.contextmanager
def deadline_scope(at: float) -> Iterator[None]:
    """Within the block, every socket operation of a pool from `own_http_client` ends by `at` (on the
    monotonic clock): a server that drips its headers or body cannot outlast it."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _NoCookies(httpx.Cookies):
    """The cookie jar of the client's own pools: it keeps nothing. The API authenticates with the
    bearer token and sets no cookie; a cookie a server (or an image host) sets is not sent back on
    later calls, and no response pays for parsing it into a jar."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def _without_cookies(http: httpx.Client | httpx.AsyncClient) -> None:
    if isinstance(getattr(http, "_cookies", None), httpx.Cookies):
        http._cookies = _NoCookies()


def own_http_client() -> httpx.Client:
    """The connection pool a `HiDream` creates: the shared TLS context, no cookie jar, and the
    deadline enforced in every socket operation (httpx offers no hook for that, so the pool's network
    backend is wrapped)."""
    transport = httpx.HTTPTransport(verify=shared_ssl_context())
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    http = httpx.Client(transport=transport, verify=shared_ssl_context())
    _without_cookies(http)
    return http


def own_async_http_client() -> httpx.AsyncClient:
    """The connection pool an `AsyncHiDream` creates: the shared TLS context and no cookie jar (the
    deadline is enforced by cancelling, see `AsyncCore._attempt`)."""
    http = httpx.AsyncClient(verify=shared_ssl_context())
    _without_cookies(http)
    return http


def has_deadline_sockets(http: httpx.Client) -> bool:
    """Whether `http` enforces the deadline inside its socket operations (a pool from `own_http_client`)."""
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    return isinstance(getattr(pool, "_network_backend", None), _DeadlineBackend)


@dataclass(frozen=True)
class Endpoint(Generic[E]):
    """A generated operation module and the parser of its success envelope (the model's `from_dict`)."""

    operation: ModuleType
    parse: Callable[[Mapping[str, Any]], E]
    creates: str | None = None
    """The request creates a (paid) thing whose id the answer names under this key (None: creates
    nothing): an answer that cannot be read then says it may exist all the same, with its id if seen."""

    def request_arguments(self, **params: Any) -> dict[str, Any]:
        # The generator's own request builder: the path, header names and JSON come from the spec.
        arguments: dict[str, Any] = self.operation._get_kwargs(**params)
        return arguments


@functools.cache
def spec_names() -> frozenset[str]:
    """The field names of every generated model (the spec's names), and the envelope's: redaction
    leaves these keys of an answer alone."""
    from hidream_api_client import models

    return ENVELOPE_KEYS | frozenset(
        field.name
        for model in vars(models).values()
        if isinstance(model, type) and attrs.has(model)
        for field in attrs.fields(model)
    )


def redacting(secret: Secret, check: Callable[[], T]) -> T:
    """`check()`, with the token redacted from the `InvalidInputError` it may raise: a token pasted
    into the wrong argument must not come back in the message."""
    try:
        return check()
    except InvalidInputError as error:
        problem = secret.redact(error.problem)
        refused = (
            error
            if problem == error.problem
            else InvalidInputError(error.field, problem, allowed=error.allowed)
        )
    raise refused  # outside the handler: no __context__ keeps the unredacted error


_PHASES: Final[Mapping[type[Exception], str]] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


def _transport_error(
    error: httpx.TransportError, redact: Callable[[str], str], deadline: Deadline | None = None
) -> HiDreamError:
    """The typed error for a request that got no (whole) response; `request_sent` says whether a task
    can exist. The transport's exception is described, never chained: its frames hold the headers."""
    detail = redact(str(error)) or type(error).__name__
    if isinstance(error, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        # Refused by httpx/h11 before a byte left: an argument that HTTP cannot carry.
        return InvalidInputError("request", f"cannot be sent as HTTP ({type(error).__name__}: {detail})")
    if isinstance(error, httpx.TimeoutException):
        phase = _PHASES.get(type(error), "unknown")
        # A connect or pool timeout means no byte of the request left this machine.
        sent = phase not in ("connect", "pool")
        if deadline is not None and deadline.passed():
            return APITimeoutError(
                f"the call's deadline of {deadline.seconds:g}s passed during the {phase}",
                phase="deadline",
                request_sent=sent,
            )
        return APITimeoutError(f"{phase} timeout: {detail}", phase=phase, request_sent=sent)
    if isinstance(error, httpx.ConnectError):
        return APIConnectionError(f"could not connect: {detail}", request_sent=False)
    return APIConnectionError(f"connection failed during the request: {detail}", request_sent=True)


def _clamped(timeouts: Mapping[str, float | None], remaining: float) -> dict[str, float | None]:
    """The per-phase timeouts, none longer than what is left of the call's deadline."""
    remaining = max(remaining, 0.0)
    return {phase: remaining if t is None or t > remaining else t for phase, t in timeouts.items()}


@dataclass
class _Request:
    what: str  # "POST /path", for logs
    http: httpx.Request  # built once, sent by every attempt
    timeouts: Mapping[str, float | None]  # as configured, before any deadline clamps them


class _Core:
    """What the sync and async cores share: configuration, building requests, reading responses."""

    def __init__(
        self,
        *,
        base_url: str,
        token: Secret,
        timeout: TimeoutArg,
        deadline: float | None,
        retry: RetryPolicy,
        headers: Mapping[str, str],
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout
        self.deadline = deadline
        self.retry = retry
        self._headers = dict(headers)

    def _deadline(self, started: float, deadline: DeadlineArg | NotGiven) -> Deadline | None:
        seconds = self.deadline if isinstance(deadline, NotGiven) else checked_deadline(deadline)
        return None if seconds is None else Deadline(seconds, started + seconds)

    def _prepare(
        self,
        build: Callable[..., httpx.Request],
        endpoint: Endpoint[Any],
        params: Mapping[str, Any],
        timeout: TimeoutArg | NotGiven,
    ) -> _Request:
        arguments = endpoint.request_arguments(**params)
        method = str(arguments.pop("method")).upper()
        path = str(arguments.pop("url"))
        refused = ""
        try:
            headers = httpx.Headers(self._headers)
            headers.update(arguments.pop("headers", {}))
            headers["Authorization"] = f"Bearer {self.token.reveal()}"  # httpx.Headers masks it in its repr
            request = build(
                method,
                self.base_url + path,
                headers=headers,
                timeout=self.timeout if isinstance(timeout, NotGiven) else timeout,
                **arguments,
            )
        except (ValueError, TypeError, httpx.InvalidURL) as error:  # a header or path httpx cannot encode
            refused = type(error).__name__
        if refused:  # raised here, outside the handler: the encoder's message may quote a header value
            raise InvalidInputError("request", f"cannot be encoded as HTTP ({refused})")
        return _Request(f"{method} {path}", request, request.extensions["timeout"])

    @staticmethod
    def _start(request: _Request, deadline: Deadline | None) -> float:
        started = time.monotonic()
        logger.debug("%s: sending", request.what)
        if deadline is not None:
            request.http.extensions["timeout"] = _clamped(request.timeouts, deadline.at - started)
        return started

    def _finish(
        self, endpoint: Endpoint[E], response: httpx.Response, body: BodyReader, what: str, started: float
    ) -> E:
        elapsed = time.monotonic() - started
        try:
            envelope = read_envelope(
                response,
                redact=self.token.redact,
                body=body,
                creates=endpoint.creates,
                keep_keys=spec_names(),
            )
        except HiDreamError as error:
            logger.info(
                "%s -> HTTP %d, %s (code=%s, request_id=%s) in %.3fs",
                what,
                response.status_code,
                type(error).__name__,
                error.code,
                error.request_id,
                elapsed,
            )
            raise
        logger.info(
            "%s -> HTTP %d, code 0 (request_id=%s) in %.3fs",
            what,
            response.status_code,
            envelope.get("request_id"),
            elapsed,
        )
        try:
            return endpoint.parse(envelope)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problem = f"{type(error).__name__}: {self.token.redact(str(error))}"
        raise MalformedResponseError(
            f"{what}: `code` 0 but the envelope does not match the spec ({problem})",
            code=0,
            request_id=envelope.get("request_id"),
            http_status=response.status_code,
        )

    def _failed(
        self, error: httpx.TransportError, what: str, started: float, deadline: Deadline | None
    ) -> HiDreamError:
        typed = _transport_error(error, self.token.redact, deadline)
        logger.info(
            "%s -> no response, %s: %s in %.3fs",
            what,
            type(typed).__name__,
            typed,
            time.monotonic() - started,
        )
        return typed

    def _deadline_passed(self, what: str, started: float, deadline: Deadline | None) -> APITimeoutError:
        seconds = f" of {deadline.seconds:g}s" if deadline else ""
        typed = APITimeoutError(f"the call's deadline{seconds} passed", phase="deadline", request_sent=True)
        logger.info("%s -> %s in %.3fs", what, typed, time.monotonic() - started)
        return typed


def _read_body(response: httpx.Response, deadline: Deadline | None) -> BodyReader:
    body = BodyReader()
    if response.is_stream_consumed:  # a transport that handed over the whole body, already decoded
        body.feed(response.content)
        body.decoded = True
        return body
    for chunk in response.iter_raw():
        if not body.feed(chunk):
            break
        if deadline is not None and deadline.passed(slack=0):
            raise httpx.ReadTimeout("the call's deadline passed while reading the body")
    return body


class SyncCore(_Core):
    """Sends through one `httpx.Client` (one connection pool)."""

    def __init__(self, *, http: httpx.Client, owns_http: bool, **config: Any) -> None:
        super().__init__(**config)
        self.http = http
        self._owns_http = owns_http

    def call(
        self,
        endpoint: Endpoint[E],
        params: Mapping[str, Any],
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
    ) -> E:
        request = self._prepare(self.http.build_request, endpoint, params, timeout)
        started = time.monotonic()
        until = self._deadline(started, deadline)
        retries: Retries | None = None
        while True:
            try:
                return self._attempt(endpoint, request, until)
            except HiDreamError as error:
                if retries is None:
                    retries = Retries(
                        retry or self.retry,
                        request.what,
                        started=started,
                        deadline_at=None if until is None else until.at,
                    )
                wait = retries.wait_after(error)
                if wait is None:
                    raise
            Retries.sleep(wait)

    def _attempt(self, endpoint: Endpoint[E], request: _Request, deadline: Deadline | None) -> E:
        started = self._start(request, deadline)
        failed: HiDreamError | None = None
        token = _DEADLINE.set(None if deadline is None else deadline.at)
        try:
            response = self.http.send(request.http, stream=True, follow_redirects=False)
            try:
                body = _read_body(response, deadline)
            finally:
                response.close()
        except httpx.TransportError as error:
            failed = self._failed(error, request.what, started, deadline)
        finally:
            _DEADLINE.reset(token)
        if (
            failed is not None
        ):  # raised outside the handler: the transport's error is neither chained nor kept
            raise failed
        return self._finish(endpoint, response, body, request.what, started)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()


async def _aread_body(response: httpx.Response) -> BodyReader:
    body = BodyReader()
    if response.is_stream_consumed:  # a transport that handed over the whole body, already decoded
        body.feed(response.content)
        body.decoded = True
        return body
    async for chunk in response.aiter_raw():
        if not body.feed(chunk):
            break
    return body


class AsyncCore(_Core):
    """Sends through one `httpx.AsyncClient` (one connection pool, shared by concurrent calls)."""

    def __init__(self, *, http: httpx.AsyncClient, owns_http: bool, **config: Any) -> None:
        super().__init__(**config)
        self.http = http
        self._owns_http = owns_http

    async def call(
        self,
        endpoint: Endpoint[E],
        params: Mapping[str, Any],
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
    ) -> E:
        request = self._prepare(self.http.build_request, endpoint, params, timeout)
        started = time.monotonic()
        until = self._deadline(started, deadline)
        retries: Retries | None = None
        while True:
            try:
                return await self._attempt(endpoint, request, until)
            except HiDreamError as error:
                if retries is None:
                    retries = Retries(
                        retry or self.retry,
                        request.what,
                        started=started,
                        deadline_at=None if until is None else until.at,
                    )
                wait = retries.wait_after(error)
                if wait is None:
                    raise
            await Retries.async_sleep(wait)

    async def _receive(self, request: httpx.Request) -> tuple[httpx.Response, BodyReader]:
        response = await self.http.send(request, stream=True, follow_redirects=False)
        try:
            return response, await _aread_body(response)
        finally:
            await response.aclose()

    async def _attempt(self, endpoint: Endpoint[E], request: _Request, deadline: Deadline | None) -> E:
        started = self._start(request, deadline)
        failed: HiDreamError | None = None
        try:
            if deadline is None:
                response, body = await self._receive(request.http)
            else:
                # Cancels the attempt wherever it waits: a dripping server cannot outlast the deadline.
                with fail_after(max(deadline.at - time.monotonic(), 0.0)):
                    response, body = await self._receive(request.http)
        except httpx.TransportError as error:
            failed = self._failed(error, request.what, started, deadline)
        except TimeoutError:
            failed = self._deadline_passed(request.what, started, deadline)
        if (
            failed is not None
        ):  # raised outside the handler: the transport's error is neither chained nor kept
            raise failed
        return self._finish(endpoint, response, body, request.what, started)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()
