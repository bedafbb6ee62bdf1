"""Send any generated operation through one connection pool, with auth, timeouts, retries and typed errors.

Nothing here is specific to one endpoint. An `Endpoint` pairs a module that openapi-python-client
generated (`hidream_api_client.api.<tag>.<operation>`) with the `from_dict` of the model of its
`code` 0 envelope; the module's request builder (`_get_kwargs`, the same one its `sync_detailed` uses)
turns the arguments into method, path, headers and JSON, and this module does the rest. Adding an
endpoint of the same gateway to the spec therefore needs one `Endpoint(...)` line and no new
envelope, error or retry code.

One call is one explicit loop (`SyncCore.call`, `AsyncCore.call`, in the shape of openai-python's
`_base_client`): send an attempt; on a typed failure ask `Retries.wait_after` whether to wait and go
again. The decisions are `_retry`'s, shared by both loops.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import ModuleType
from typing import Any, Final, Generic, TypeVar

import httpx

from hidream._envelope import read_envelope
from hidream._retry import Retries, RetryPolicy
from hidream._secret import Secret
from hidream.errors import APIConnectionError, APITimeoutError, HiDreamError, MalformedResponseError

E = TypeVar("E")
logger = logging.getLogger("hidream")

DEFAULT_BASE_URL: Final = "https://www.hidreamai.com/api-pub/gw/v3"
# Connect fails fast (a submit answers at once; the work happens later), reading waits longer, and
# writing allows for a 10 MiB image sent as base64 over a slow uplink.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=60.0, pool=10.0)


class NotGiven(Enum):
    """Marks an argument the caller left out (so `timeout=None`, no timeout at all, stays expressible)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven.NOT_GIVEN
TimeoutArg = float | httpx.Timeout | None


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for all clients of this process: loading the CA bundle is the costly part."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class Endpoint(Generic[E]):
    """A generated operation module and the parser of its success envelope (the model's `from_dict`)."""

    operation: ModuleType
    parse: Callable[[Mapping[str, Any]], E]

    def request_arguments(self, **params: Any) -> dict[str, Any]:
        # The generator's own request builder: the path, header names and JSON come from the spec.
        arguments: dict[str, Any] = self.operation._get_kwargs(**params)
        return arguments


def _transport_error(error: httpx.TransportError, redact: Callable[[str], str]) -> APIConnectionError:
    """The typed error for a request that got no response; `request_sent` says whether a task can exist."""
    detail = redact(str(error)) or type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool",
        }.get(type(error), "unknown")
        # A connect or pool timeout means no byte of the request left this machine.
        sent = phase not in ("connect", "pool")
        return APITimeoutError(f"{phase} timeout: {detail}", phase=phase, request_sent=sent)
    if isinstance(error, httpx.ConnectError):
        return APIConnectionError(f"could not connect: {detail}", request_sent=False)
    return APIConnectionError(f"connection failed during the request: {detail}", request_sent=True)


class _Core:
    """What the sync and async cores share: configuration, building requests, reading responses."""

    def __init__(
        self,
        *,
        base_url: str,
        token: Secret,
        timeout: TimeoutArg,
        retry: RetryPolicy,
        headers: Mapping[str, str],
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout
        self.retry = retry
        self._headers = dict(headers)

    def _prepare(
        self, endpoint: Endpoint[Any], params: Mapping[str, Any], timeout: TimeoutArg | NotGiven
    ) -> tuple[str, dict[str, Any]]:
        arguments = endpoint.request_arguments(**params)
        method = str(arguments.pop("method")).upper()
        path = str(arguments.pop("url"))
        headers = httpx.Headers(self._headers)
        headers.update(arguments.pop("headers", {}))
        headers["Authorization"] = f"Bearer {self.token.reveal()}"  # httpx.Headers masks it in its repr
        request = {
            "method": method,
            "url": self.base_url + path,
            "headers": headers,
            "timeout": self.timeout if isinstance(timeout, NotGiven) else timeout,
            **arguments,
        }
        return f"{method} {path}", request

    def _finish(self, endpoint: Endpoint[E], response: httpx.Response, what: str, started: float) -> E:
        elapsed = time.monotonic() - started
        try:
            envelope = read_envelope(response, redact=self.token.redact)
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
            raise MalformedResponseError(
                f"{what}: `code` 0 but the envelope does not match the spec "
                f"({type(error).__name__}: {self.token.redact(str(error))})",
                code=0,
                request_id=envelope.get("request_id"),
                http_status=response.status_code,
            ) from None

    def _failed(self, error: httpx.TransportError, what: str, started: float) -> APIConnectionError:
        typed = _transport_error(error, self.token.redact)
        logger.info(
            "%s -> no response, %s: %s in %.3fs",
            what,
            type(typed).__name__,
            typed,
            time.monotonic() - started,
        )
        return typed


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
    ) -> E:
        what, request = self._prepare(endpoint, params, timeout)
        started = time.monotonic()
        retries: Retries | None = None  # made at the first failure: most calls need nothing more
        while True:
            try:
                return self._send_once(endpoint, request, what)
            except HiDreamError as error:
                if retries is None:
                    retries = Retries(retry or self.retry, what, started=started)
                wait = retries.wait_after(error)
                if wait is None:
                    raise
            Retries.sleep(wait)

    def _send_once(self, endpoint: Endpoint[E], request: Mapping[str, Any], what: str) -> E:
        started = time.monotonic()
        logger.debug("%s: sending", what)
        try:
            response = self.http.request(**request)
        except httpx.TransportError as error:
            raise self._failed(error, what, started) from error
        return self._finish(endpoint, response, what, started)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()


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
    ) -> E:
        what, request = self._prepare(endpoint, params, timeout)
        started = time.monotonic()
        retries: Retries | None = None  # made at the first failure: most calls need nothing more
        while True:
            try:
                return await self._send_once(endpoint, request, what)
            except HiDreamError as error:
                if retries is None:
                    retries = Retries(retry or self.retry, what, started=started)
                wait = retries.wait_after(error)
                if wait is None:
                    raise
            await Retries.async_sleep(wait)

    async def _send_once(self, endpoint: Endpoint[E], request: Mapping[str, Any], what: str) -> E:
        started = time.monotonic()
        logger.debug("%s: sending", what)
        try:
            response = await self.http.request(**request)
        except httpx.TransportError as error:
            raise self._failed(error, what, started) from error
        return self._finish(endpoint, response, what, started)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()
