"""Helpers for the client tests: canned responses, a scripted transport that counts requests, tiny images,
and a misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import hidream._retry
from hidream_contract.spec import submit

TOKEN = "tok-SECRET-0123456789"  # distinctive, so a leak anywhere is easy to find
BASE_URL = "https://gateway.test/api-pub/gw/v3"
SUBMIT_URL = BASE_URL + submit().path
IMAGE_URL = "https://storage.example.test/photo.png"
# A real 2x2 PNG (the spec's imageBase64 example), and minimal JPEG/WebP headers.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32

ACCEPTED = {
    "code": 0,
    "message": "Success",
    "request_id": "ccfc092e-8430-11ee-97ff-f60f825045d5",
    "result": {
        "sub_task_ids": ["3244ad82-2e3a-40a3-b4e2-d7797b32bf41"],
        "task_id": "ccc894f2-3a9e-11ef-b843-cad358304ee0",
    },
}
REJECTED = {"code": 1001, "message": "upsale_ratio: must be one of [2, 4]", "request_id": "rej-1"}

Reply = httpx.Response | Exception


def ok() -> httpx.Response:
    return httpx.Response(200, json=ACCEPTED)


class Script:
    """A MockTransport handler that answers from a list (the last entry repeats) and keeps every request."""

    def __init__(self, *replies: Reply | Callable[[httpx.Request], Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if callable(reply) and not isinstance(reply, httpx.Response | Exception):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        # A fresh copy each time: a Response read by a sync client cannot be handed to an async one.
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    @property
    def sent(self) -> int:
        return len(self.requests)

    def body(self, index: int = -1) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.requests[index].content)
        return loaded


def sync_transport(script: Script) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(script))


def async_transport(script: Script) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(script))


class Sleeps:
    """Records the retry waits instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def record_sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    sleeps = Sleeps()
    monkeypatch.setattr(hidream._retry, "_sleep", sleeps.sleep)
    monkeypatch.setattr(hidream._retry, "_async_sleep", sleeps.async_sleep)
    return sleeps


# --- a misbehaving server on 127.0.0.1, for the hostile-server tests ----------------------------


@dataclass(frozen=True)
class Received:
    """One request as the hostile server read it: the request line and headers (lower-cased names)."""

    line: str
    headers: dict[str, str]
    body: bytes


Behaviour = Callable[["HostileServer", socket.socket, Received], None]


class HostileServer:
    """Answers every request on 127.0.0.1 the way `behaviour` says (a raw socket: anything goes).

    It records what it received and how many bytes it managed to send, notices when the client hangs
    up, and always stops: `with HostileServer(...) as server:` closes every socket and joins its threads.
    """

    def __init__(self, behaviour: Behaviour, *, read_body: bool = True) -> None:
        self._behaviour = behaviour
        self._read_body = read_body  # False: answer (or stall) before reading the upload
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.stopping = threading.Event()
        self.received: list[Received] = []
        self.sent = 0
        self.hung_up = threading.Event()  # the client closed its side while we were still sending
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._threads[0].join(timeout=10)  # the acceptor first: then no connection thread is added
        for thread in self._threads[1:]:
            thread.join(timeout=10)
        with self._lock:
            for connection in self._connections:
                connection.close()
        self._listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # pragma: no cover - closed while accepting
                return
            with self._lock:
                self._connections.append(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(0.1)  # so an idle keep-alive connection notices `stopping` at once
            while not self.stopping.is_set():  # keep-alive: one request after the other
                request = self._read_request(connection)
                if request is None:
                    return
                self.received.append(request)
                self._behaviour(self, connection, request)
        except OSError:
            self.hung_up.set()

    def _read_request(self, connection: socket.socket) -> Received | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self._recv(connection)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)
        }
        length = int(headers.get("content-length", "0"))
        while self._read_body and len(body) < length:
            chunk = self._recv(connection)
            if not chunk:
                return None
            body += chunk
        return Received(line, headers, body)

    def _recv(self, connection: socket.socket) -> bytes:
        """The next bytes from the client; b"" once it closed or the server stops."""
        while not self.stopping.is_set():
            try:
                return connection.recv(65536)
            except TimeoutError:
                continue
        return b""

    def send(self, connection: socket.socket, data: bytes) -> None:
        """Send `data`; a client that hung up shows as `hung_up` (and ends this connection)."""
        view = memoryview(data)
        while view and not self.stopping.is_set():
            try:
                sent = connection.send(view)
            except TimeoutError:  # the client is not reading: wait, unless the server stops
                continue
            self.sent += sent
            view = view[sent:]

    def drip(self, connection: socket.socket, data: bytes, every: float = 0.05) -> None:
        """Send `data` a byte at a time, `every` seconds apart, until done, stopped or hung up on."""
        for byte in data:
            if self.stopping.wait(every):
                return
            self.send(connection, bytes([byte]))


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.1 response with Content-Length."""
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
