"""A small HTTP/1.1 keep-alive server on 127.0.0.1 answering the spec's success example.

It runs in a process of its own (`python -m bench.local_server`), so the client being measured does
not share its interpreter (and GIL) with the server. It binds port 0, so the kernel picks a free
port, prints `PORT=<n>` once it listens, and stops when its stdin closes — which also happens when
the benchmark process dies. `serving()` is the context manager the benchmarks use.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hidream_contract.children import ChildStartError, serving_child
from hidream_contract.project import ROOT
from hidream_contract.spec import submit

SUBMIT_PATH = submit().path


class LocalServerError(ChildStartError):
    """The local server did not start; the message carries what it printed."""


def _handler(body: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real gateway
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between header and body writes

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            if self.path != SUBMIT_PATH:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: thousands of requests per run."""

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the stdlib's 5 resets connections when 32 callers connect at once


def serve_until_stdin_closes() -> None:
    from bench.payloads import accepted_body

    server = _Server(("127.0.0.1", 0), _handler(accepted_body()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"PORT={server.server_address[1]}", flush=True)
    try:
        sys.stdin.read()  # returns when the parent closes our stdin or dies
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving() -> Iterator[str]:
    """Start the server in a child process and yield its base URL; always stop it."""
    argv = [sys.executable, "-m", "bench.local_server"]
    with serving_child(argv, ready_key="PORT", cwd=ROOT, error=LocalServerError) as port:
        yield f"http://127.0.0.1:{int(port)}"


if __name__ == "__main__":
    serve_until_stdin_closes()


SIM_TOKEN_ENV = "HIDREAM_BENCH_SIM_TOKEN"  # noqa: S105 - the name of a variable, not a secret
SIM_READY_KEY = "SIM_BASE_URL"


@contextmanager
def simulator_child(token: str, *options: str) -> Iterator[str]:
    """A faithful simulator (`python -m hidream_sim`) in a child process, as a service would be; yields
    its base URL and always stops it. The token reaches it through the environment, never argv."""
    argv = [sys.executable, "-m", "hidream_sim", "--scenario", "faithful", "--port", "0"]
    argv += ["--until-stdin-closes", "--ready-key", SIM_READY_KEY, "--token-env", SIM_TOKEN_ENV, *options]
    previous = os.environ.get(SIM_TOKEN_ENV)
    os.environ[SIM_TOKEN_ENV] = token
    try:
        with serving_child(argv, ready_key=SIM_READY_KEY, cwd=ROOT) as base_url:
            yield base_url
    finally:
        if previous is None:
            os.environ.pop(SIM_TOKEN_ENV, None)
        else:
            os.environ[SIM_TOKEN_ENV] = previous
