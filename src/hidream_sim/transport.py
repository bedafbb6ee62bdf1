"""The simulator in-process: an httpx transport (sync and async) that hands requests to a `Service`.

    from hidream_sim import simulator
    with simulator(server=False) as sim:               # no socket at all
        http = httpx.Client(transport=sim.transport())      # or httpx.AsyncClient(transport=...)
        client = HiDream(token=..., base_url=sim.base_url, http_client=http)

The same `Service` as the socket server's (server.py), so `sim.tasks`, `sim.billed`, `sim.callbacks`
read the same either way; a server-backed simulator gives a transport too (both reach one state).
What a socket would do is played as httpx would report it:

- a body over MAX_BODY_BYTES: the 413 answer the server gives (with `Connection: close`);
- reset (reset-on-task): `httpx.RemoteProtocolError("Server disconnected without sending a response.")`,
  what httpx raises when a real server closes the connection;
- slow and drip: the delay is slept (time.sleep or anyio.sleep); when it is longer than the request's
  read timeout, the wait stops there and `httpx.ReadTimeout` is raised, as a socket read would. A
  client's own deadline machinery inside its socket layer (hidream's own pool) is not in play here: test
  deadlines against the server (docs/simulator.md, "In-process").
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx

from hidream_sim.server import MAX_BODY_BYTES, RESET, Answer, Request, Service

DRIP_PIECES = 10
DISCONNECTED = "Server disconnected without sending a response."  # httpcore's words for a closed connection


class SimTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport for `httpx.Client` and `httpx.AsyncClient` alike, answered by `service`."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def __repr__(self) -> str:
        return f"SimTransport(mode={self.service.mode!r})"

    def _answer(self, request: httpx.Request, body: bytes) -> Answer:
        root = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        target = request.url.raw_path.decode("ascii")
        headers = tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        )
        call = Request(request.method, target, headers, body, root)
        if len(body) > MAX_BODY_BYTES:
            return self.service.too_large(call)
        return self.service.handle(call)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request, request.read())
        try:
            _wait(answer.delay, request)
            if answer.action == RESET:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            if answer.drip and answer.body and request.method != "HEAD":
                return _response(answer, request, stream=_SyncDrip(answer, request))
            return _response(answer, request)
        finally:
            answer.finished()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request, await request.aread())
        try:
            await _await(answer.delay, request)
            if answer.action == RESET:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            if answer.drip and answer.body and request.method != "HEAD":
                return _response(answer, request, stream=_AsyncDrip(answer, request))
            return _response(answer, request)
        finally:
            answer.finished()


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _wait(seconds: float, request: httpx.Request) -> None:
    if seconds <= 0:
        return
    limit = _read_timeout(request)
    time.sleep(seconds if limit is None else min(seconds, limit))
    if limit is not None and seconds > limit:
        raise httpx.ReadTimeout("timed out (in-process simulator)", request=request)


async def _await(seconds: float, request: httpx.Request) -> None:
    if seconds <= 0:
        return
    limit = _read_timeout(request)
    await anyio.sleep(seconds if limit is None else min(seconds, limit))
    if limit is not None and seconds > limit:
        raise httpx.ReadTimeout("timed out (in-process simulator)", request=request)


def _pieces(data: bytes) -> list[bytes]:
    step = max(1, -(-len(data) // DRIP_PIECES))
    return [data[at : at + step] for at in range(0, len(data), step)]


class _SyncDrip(httpx.SyncByteStream):
    def __init__(self, answer: Answer, request: httpx.Request) -> None:
        self._answer, self._request = answer, request

    def __iter__(self) -> Iterator[bytes]:
        for piece in _pieces(self._answer.body):
            yield piece
            _wait(self._answer.drip / DRIP_PIECES, self._request)


class _AsyncDrip(httpx.AsyncByteStream):
    def __init__(self, answer: Answer, request: httpx.Request) -> None:
        self._answer, self._request = answer, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in _pieces(self._answer.body):
            yield piece
            await _await(self._answer.drip / DRIP_PIECES, self._request)


def _response(
    answer: Answer, request: httpx.Request, stream: httpx.SyncByteStream | httpx.AsyncByteStream | None = None
) -> httpx.Response:
    headers = [
        ("Content-Type", answer.content_type),
        ("Content-Length", str(len(answer.body))),
        *answer.headers.items(),
    ]
    if stream is not None:
        return httpx.Response(answer.status, headers=headers, stream=stream, request=request)
    content = b"" if request.method == "HEAD" else answer.body
    return httpx.Response(answer.status, headers=headers, content=content, request=request)
