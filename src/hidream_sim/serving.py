"""The simulator's HTTP layer: an ASGI app on uvicorn that carries requests to `server.Service.handle`.

Everything the service decides (scenarios, validation, tasks, answers) is in server.py; this module only
turns HTTP into a `Request` and an `Answer` back into HTTP. HTTP/1.1 itself is uvicorn's (h11 underneath):
request bodies with Content-Length or chunked, keep-alive and pipelining, a body the app did not read
discarded rather than parsed as the next request, malformed requests answered 400. Ours is only:

- the body limit (server.MAX_BODY_BYTES): a declared or received length past it is answered 413 with
  `Connection: close`, without reading the rest;
- the transport-level answers: a delay before answering (slow), a body sent in ten pieces over time
  (drip, through ASGI's `more_body`), and a connection closed without an answer (reset). ASGI cannot
  express the last; uvicorn's `send` is a method of its request cycle, which holds the connection's
  asyncio transport, and `_drop` aborts that (uvicorn is pinned to 0.54.x in the [sim] extra, and
  tests/sim/test_simulator_http.py fails if this stops working).

`SimServer` runs it in a thread of its own (its own event loop) on a socket it binds itself, so the
port is known (and a bind error raised) before it serves; `hidream-sim` and `simulator()` use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hidream_sim.observed import ObservedCodes
from hidream_sim.replay import Cassette
from hidream_sim.results import FILES_PREFIX
from hidream_sim.server import (
    DEFAULT_SLOW_SECONDS,
    DEFAULT_TOKEN,
    MAX_BODY_BYTES,
    PREFIX,
    RESET,
    Answer,
    Request,
    Service,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

STOP_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 30  # how long an idle keep-alive connection stays open (uvicorn's default is 5)
DRIP_PIECES = 10
GONE = b"\x00gone"  # _read_body's answer when the client disconnected mid-body (compared by identity)


class App:
    """The ASGI app: one `Service`, reached over HTTP."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
        query = scope.get("query_string", b"")
        target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if query:
            target += "?" + query.decode("latin-1")
        request = Request(scope["method"], target, headers, b"", self.service.root)
        body = await _read_body(headers, receive)
        if body is GONE:  # the client left before its body ended: nothing to answer, nothing to create
            return
        if body is None:  # past the limit: answered without reading the rest
            answer = self.service.too_large(request)
        else:
            request = Request(request.method, target, headers, body, self.service.root)
            if scope["path"].startswith(FILES_PREFIX):  # drawing a large PNG: off the event loop
                answer = await asyncio.to_thread(self.service.handle, request)
            else:
                answer = self.service.handle(request)
        try:
            await _send(answer, scope, send)
        finally:
            answer.finished()


async def _read_body(headers: tuple[tuple[str, str], ...], receive: Receive) -> bytes | None:
    """The request's body, or None as soon as it is known to be over MAX_BODY_BYTES."""
    for name, value in headers:
        if name.lower() == "content-length" and value.strip().isdigit() and int(value) > MAX_BODY_BYTES:
            return None
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return GONE
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            return None
        if not message.get("more_body", False):
            return bytes(body)


async def _send(answer: Answer, scope: Scope, send: Send) -> None:
    if answer.delay:
        await asyncio.sleep(answer.delay)
    if answer.action == RESET:
        await _drop(send)
        return
    data = b"" if scope["method"] == "HEAD" else answer.body
    extra = answer.headers.items()
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"content-length", str(len(answer.body)).encode()),
        (b"date", _http_date()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    if answer.drip and data:
        step = max(1, -(-len(data) // DRIP_PIECES))
        for at in range(0, len(data), step):
            await send({"type": "http.response.body", "body": data[at : at + step], "more_body": True})
            await asyncio.sleep(answer.drip / DRIP_PIECES)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send({"type": "http.response.body", "body": data, "more_body": False})


_DATE: list[Any] = [0, b""]  # (second, its HTTP date): uvicorn's own Date header needs its main loop


def _http_date() -> bytes:
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[:] = [now, email.utils.formatdate(now, usegmt=True).encode()]
    return bytes(_DATE[1])


async def _drop(send: Send) -> None:
    """Close the connection without an answer (what ASGI cannot say): abort uvicorn's transport."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError(
            "the reset scenario needs uvicorn's request cycle (uvicorn 0.54.x, the [sim] extra)"
        )
    transport.abort()
    for _ in range(10):  # let uvicorn see the connection lost, so it does not answer 500 in its place
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0)


class SimServer:
    """The simulator on a socket: uvicorn serving `App(service)` in a background thread.

    `SimServer(...)` binds (an OSError if it cannot); `start()` serves in a thread until `shutdown()`;
    `serve_forever()` serves in the calling thread (the command) until `shutdown()` from another."""

    def __init__(
        self,
        mode: str,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_seconds: float | None = None,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
        callback_hosts: tuple[str, ...] = (),
        replay: Cassette | None = None,
        observed: ObservedCodes | None = None,
        service: Service | None = None,
    ) -> None:
        problem = exposure_problem(host, token)
        if problem:
            raise ValueError(problem)
        self.service = service or Service(
            mode,
            token,
            task_seconds=task_seconds,
            slow_seconds=slow_seconds,
            callback_hosts=callback_hosts,
            replay=replay,
            observed=observed,
        )
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
        # without it a response's headers and body (two writes) wait ~40 ms for a delayed ACK.
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._socket.bind((host, port))
            self._socket.listen(128)
        except OSError:
            self._socket.close()
            raise
        self._socket.setblocking(False)
        self.server_address = self._socket.getsockname()
        self.service.root = self.root
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def mode(self) -> str:
        return self.service.mode

    @mode.setter
    def mode(self, scenario: str) -> None:  # tests change a running service's behaviour (test_cassette.py)
        self.service.mode = scenario

    @property
    def root(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}{PREFIX}"

    def __repr__(self) -> str:  # never show the token
        return f"SimServer(mode={self.mode!r}, port={self.server_address[1]})"

    def start(self) -> None:
        """Serve in a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(
            target=self._serve_in_thread, name=f"hidream-sim-{self.mode}", daemon=True
        )
        self._thread.start()
        self._ready.wait(STOP_TIMEOUT_S)
        if self._error is not None:
            raise RuntimeError(f"the simulator's server did not start: {self._error}") from self._error

    def _serve_in_thread(self) -> None:
        with contextlib.suppress(BaseException):  # kept in self._error: start() raises it in the caller
            self.serve_forever()

    def serve_forever(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self._error = error
            raise
        finally:
            self._ready.set()
            self._stopped.set()

    async def _serve(self) -> None:
        try:
            import uvicorn  # the [sim] extra; the in-process transport needs none of it
        except ImportError as error:
            raise RuntimeError(
                "the simulator's server needs uvicorn: install the [sim] extra (docs/simulator.md#install), "
                "or run it in-process: simulator(server=False) and sim.transport()"
            ) from error

        config = uvicorn.Config(
            App(self.service),
            http="h11",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE_S,
            h11_max_incomplete_event_size=64 * 1024,  # request line and headers; bodies are ours to limit
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)  # "off": what Server.serve sets before startup
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await server.startup(sockets=[self._socket])
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            # uvicorn's own shutdown waits 0.1 s and then for open requests; tests stop many simulators,
            # so: stop listening, close the idle connections, cancel what is still being answered.
            server.force_exit = True
            for listener in server.servers:
                listener.close()
            for connection in list(server.server_state.connections):
                connection.shutdown()
            for task in list(server.server_state.tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*server.server_state.tasks, return_exceptions=True)

    def shutdown(self) -> None:
        """Stop serving (from any thread but the serving one) and wait until it has stopped."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
        elif self._loop is not None:
            self._stopped.wait(STOP_TIMEOUT_S)

    def server_close(self) -> None:
        self.service.close()
        self._socket.close()


StandInServer = SimServer  # the name the live check's tests knew it by


def exposure_problem(host: str, token: str) -> str | None:
    """Why the simulator must not listen on `host` with `token`, None if it may (issue 28): anyone who
    can reach a non-loopback address could drive it with the well-known default token, and through its
    callbacks reach this host's loopback services."""
    if token != DEFAULT_TOKEN or _is_loopback(host):
        return None
    return (
        f"refusing to listen on {host or 'every address'} with the default token {DEFAULT_TOKEN!r}: "
        "anyone who can reach it could drive the simulator and, through its callbacks, this machine's "
        "loopback services; give a token of your own (--token-env NAME, or HIDREAM_STANDIN_TOKEN) or "
        "bind 127.0.0.1"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
