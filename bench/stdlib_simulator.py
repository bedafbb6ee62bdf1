"""The simulator's previous HTTP layer, kept as the benchmarks' baseline: `http.server` serving the same
`hidream_sim.server.Service` (the simulator before issue 29 moved it onto uvicorn).

bench/simulator.py measures the uvicorn server against it in the same run (requests/s, µs per request
of a task's life), and tests/sim/test_simulator_http.py shows that its hand-written request handling
fails the hostile HTTP table (a body past 10 MiB read as a new request, chunked bodies refused), which
is why it is only a baseline. `python -m bench.stdlib_simulator` serves it in a child process: it prints
`SIM_BASE_URL=<base URL>` and stops when its stdin closes; the token comes from HIDREAM_BENCH_SIM_TOKEN.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hidream_sim.server import DEFAULT_SLOW_SECONDS, PREFIX, RESET, Answer, Request, Service

OLD_MAX_BODY_BYTES = 10 * 1024 * 1024  # what it read of a body, whatever the body's length


class StdlibSimServer(ThreadingHTTPServer):
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
        return f"StdlibSimServer(mode={self.mode!r}, port={self.server_address[1]})"

    def start(self) -> None:
        """Serve in a background thread (stopped by shutdown())."""
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    server: StdlibSimServer
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
        return self.rfile.read(min(max(length, 0), OLD_MAX_BODY_BYTES)) if length > 0 else b""

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


def main() -> None:
    server = StdlibSimServer("faithful", os.environ["HIDREAM_BENCH_SIM_TOKEN"])
    server.start()
    print(f"SIM_BASE_URL={server.base_url}", flush=True)
    try:
        sys.stdin.read()  # returns when the parent closes our stdin or dies
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
