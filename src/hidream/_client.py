"""`HiDream` and `AsyncHiDream`: configuration, one connection pool each, and the resources on top."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from hidream import _validation as check
from hidream._core import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AsyncCore,
    DeadlineArg,
    Endpoint,
    NotGiven,
    SyncCore,
    TimeoutArg,
    checked_deadline,
    own_async_http_client,
    own_http_client,
    redacting,
)
from hidream._retry import RetryPolicy
from hidream._secret import Secret
from hidream._upscale import AsyncUpscale, Upscale
from hidream._version import __version__
from hidream.errors import AuthenticationError, InvalidInputError

E = TypeVar("E")
TOKEN_ENV = "HIDREAM_API_TOKEN"  # noqa: S105 - the variable's name, not a token
BASE_URL_ENV = "HIDREAM_API_BASE_URL"
USER_AGENT = f"hidream-python/{__version__}"


def _settings(
    token: Secret | None,
    base_url: str | None,
    timeout: TimeoutArg,
    deadline: DeadlineArg,
    retry: RetryPolicy | None,
    language: str | None,
    default_headers: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Every client setting checked; the token arrives as a `Secret` and no local here holds it raw."""
    if token is None:
        token = Secret(os.environ.get(TOKEN_ENV, ""))
    if isinstance(token.reveal(), str) and not token.reveal().strip():
        raise AuthenticationError(f"no API token: pass token=... or set {TOKEN_ENV}")
    secret = check.check_token(token)
    return redacting(
        secret, lambda: _checked(secret, base_url, timeout, deadline, retry, language, default_headers)
    )


def _checked(
    secret: Secret,
    base_url: str | None,
    timeout: TimeoutArg,
    deadline: DeadlineArg,
    retry: RetryPolicy | None,
    language: str | None,
    default_headers: Mapping[str, str] | None,
) -> dict[str, Any]:
    url = check.check_base_url(
        base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    )
    if isinstance(timeout, bool) or not (timeout is None or isinstance(timeout, httpx.Timeout | int | float)):
        raise InvalidInputError("timeout", f"must be seconds, an httpx.Timeout or None, not {timeout!r}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise InvalidInputError("retry", f"must be a hidream.RetryPolicy, not {type(retry).__name__}")
    if language is not None:
        check.header_text("language", language)  # the values themselves are checked per call
    # No compression: envelopes are small, and the body limit then holds for the bytes on the wire.
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    for name, value in (default_headers or {}).items():
        if isinstance(name, str) and name.lower() == "authorization":
            raise InvalidInputError("default_headers", "must not set Authorization; pass token= instead")
        checked_name, checked_value = check.check_header(name, value, field="default_headers")
        headers[checked_name] = checked_value
    return {
        "base_url": url,
        "token": secret,
        "timeout": timeout,
        "deadline": checked_deadline(deadline),
        "retry": retry or RetryPolicy(),
        "headers": headers,
    }


def _describe(cls: type, core: SyncCore | AsyncCore | None) -> str:
    if core is None:  # a client whose construction failed (a traceback with locals shows it)
        return f"{cls.__name__}(<not configured>)"
    settings = (
        f"base_url={core.base_url!r}, token={core.token!r}, timeout={core.timeout!r}, "
        f"deadline={core.deadline!r}, retry={core.retry!r}"
    )
    return f"{cls.__name__}({settings})"


class HiDream:
    """Synchronous HiDream client; one connection pool, safe to share between threads.

    Args:
        token: the API token; default: the HIDREAM_API_TOKEN environment variable.
        base_url: default HIDREAM_API_BASE_URL, else `DEFAULT_BASE_URL` (production).
        timeout: seconds or an `httpx.Timeout` (connect/read/write/pool apart), for each network wait;
            None: no per-phase limit.
        deadline: seconds for a whole call, retries and waits included (`DEFAULT_DEADLINE`); None: none.
        retry: a `RetryPolicy`; `RetryPolicy.disabled()` sends each request once.
        language: "en" or "zh" for the service's messages (the service defaults to zh).
        default_headers: extra headers on every request (e.g. for a staging gateway).
        http_client: your own `httpx.Client` (proxies, transports); you close it. Its sockets do not
            see the deadline: it bounds each phase and the body, not a server dripping its headers.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutArg = DEFAULT_TIMEOUT,
        deadline: DeadlineArg = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        language: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        secret, token = (None if token is None else Secret(token)), None  # the raw token leaves this frame
        settings = _settings(secret, base_url, timeout, deadline, retry, language, default_headers)
        owns = http_client is None
        http = http_client if http_client is not None else own_http_client()
        self._core = SyncCore(http=http, owns_http=owns, **settings)
        self.upscale = Upscale(self._core, language)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    def call(
        self,
        endpoint: Endpoint[E],
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
        **params: Any,
    ) -> E:
        """Call any generated operation of the gateway with this client's auth, timeouts, retries, errors."""
        return self._core.call(endpoint, params, timeout=timeout, retry=retry, deadline=deadline)

    def close(self) -> None:
        """Close the connection pool (not an `http_client` you passed in)."""
        self._core.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return _describe(type(self), getattr(self, "_core", None))


class AsyncHiDream:
    """Asynchronous HiDream client; one connection pool shared by concurrent calls. Arguments as `HiDream`."""

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutArg = DEFAULT_TIMEOUT,
        deadline: DeadlineArg = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        language: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        secret, token = (None if token is None else Secret(token)), None  # the raw token leaves this frame
        settings = _settings(secret, base_url, timeout, deadline, retry, language, default_headers)
        owns = http_client is None
        http = http_client if http_client is not None else own_async_http_client()
        self._core = AsyncCore(http=http, owns_http=owns, **settings)
        self.upscale = AsyncUpscale(self._core, language)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    async def call(
        self,
        endpoint: Endpoint[E],
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
        **params: Any,
    ) -> E:
        """Call any generated operation of the gateway; see `HiDream.call`."""
        return await self._core.call(endpoint, params, timeout=timeout, retry=retry, deadline=deadline)

    async def aclose(self) -> None:
        """Close the connection pool (not an `http_client` you passed in)."""
        await self._core.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return _describe(type(self), getattr(self, "_core", None))
