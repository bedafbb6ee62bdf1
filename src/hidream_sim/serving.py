"""The simulator's HTTP layer: bytes on a socket in, `server.Service.handle`, bytes out.

Everything the service decides (scenarios, validation, tasks, answers) is in server.py; this module only
carries requests to it and its `Answer`s back, including the answers that are transport-level actions
(a delay before answering, a body dripped in pieces, a connection closed without an answer).
"""

from __future__ import annotations

import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hidream_sim.server import (
    DEFAULT_SLOW_SECONDS,
    MAX_BODY_BYTES,
    PREFIX,
    RESET,
    Answer,
    Request,
    Service,
)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128  # the stdlib's 5 resets connections when many clients connect at once

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
        service: Service | None = None,
    ) -> None:
        self.service = service or Service(
            mode, token, task_seconds=task_seconds, slow_seconds=slow_seconds, callback_hosts=callback_hosts
        )
        super().__init__((host, port), _Handler)
        self.service.root = self.root

    @property
    def mode(self) -> str:
        return self.service.mode

    @property
    def root(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}{PREFIX}"

    def server_close(self) -> None:
        self.service.close()
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client closing its keep-alive connection is normal; anything else is still printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __repr__(self) -> str:  # never show the token
        return f"SimServer(mode={self.mode!r}, port={self.server_address[1]})"


StandInServer = SimServer  # the name the live check's tests knew it by


class _Handler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without this, Nagle's algorithm and delayed ACKs add
    # ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "HiDreamStandIn/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: requests carry the token in a header, and test output stays readable."""

    def do_POST(self) -> None:
        self._handle()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_POST

    def _handle(self) -> None:
        request = Request(
            self.command, self.path, tuple(self.headers.items()), self._read_body(), self.server.root
        )
        answer = self.server.service.handle(request)
        try:
            self._send(answer)
        finally:
            answer.finished()

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(max(length, 0), MAX_BODY_BYTES)) if length > 0 else b""

    def _send(self, answer: Answer) -> None:
        if answer.delay:
            time.sleep(answer.delay)
        if answer.action == RESET:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = answer.body
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if answer.drip and data:
            step = max(1, -(-len(data) // 10))
            for at in range(0, len(data), step):
                self.wfile.write(data[at : at + step])
                self.wfile.flush()
                time.sleep(answer.drip / 10)
            return
        self.wfile.write(data)
