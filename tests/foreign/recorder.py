"""A recording forwarder (a test double): put in front of any double, it passes every exchange through
unchanged and keeps a copy, so traffic from a client that knows nothing of this repository (the
provider's sample, curl) can be handed to an independent validator (openapi-core) afterwards.

    with recording(upstream_base_url) as recorder:
        recorder.base_url     # same path as upstream_base_url, on the recorder's own port
        recorder.exchanges    # what passed through, in order
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

FORWARD_TIMEOUT_S = 30.0
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host", "content-length"})


@dataclass(frozen=True)
class Exchange:
    method: str
    origin: str  # the recorder's origin: the host the client was given
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"

    def openapi_request(self) -> MockRequest:
        args = {key: values[-1] for key, values in parse_qs(self.query, keep_blank_values=True).items()}
        content_type = self.headers.get("Content-Type", self.headers.get("content-type", ""))
        return MockRequest(
            self.origin, self.method, self.path, args=args, headers=self.headers, data=self.body,
            content_type=content_type,
        )  # fmt: skip

    def openapi_response(self) -> MockResponse:
        content_type = {k.lower(): v for k, v in self.response_headers.items()}.get("content-type", "")
        return MockResponse(
            self.response_body,
            status_code=self.status,
            headers=self.response_headers,
            content_type=content_type,
        )


def violations(api: OpenAPI, exchange: Exchange) -> list[str]:
    """What openapi-core finds wrong with one exchange: its request, then its response."""
    found = [f"request: {error}" for error in api.iter_request_errors(exchange.openapi_request())]
    if not found:
        response = exchange.openapi_response()
        found += [
            f"response: {error}" for error in api.iter_response_errors(exchange.openapi_request(), response)
        ]
    return found


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_base_url: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        parts = urlsplit(upstream_base_url)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self.origin = f"http://127.0.0.1:{self.server_address[1]}"
        self.exchanges: list[Exchange] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.origin + self.base_path


class _Forward(BaseHTTPRequestHandler):
    server: Recorder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(
            self.server.upstream_host, self.server.upstream_port, timeout=FORWARD_TIMEOUT_S
        )
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            answer_body = answer.read()
            answer_headers = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
            status = answer.status
        finally:
            upstream.close()
        path, _, query = self.path.partition("?")
        with self.server.lock:
            self.server.exchanges.append(
                Exchange(
                    self.command,
                    self.server.origin,
                    path,
                    query,
                    headers,
                    body,
                    status,
                    answer_headers,
                    answer_body,
                )
            )
        self.send_response(status)
        for key, value in answer_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer_body)))
        self.end_headers()
        self.wfile.write(answer_body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


@contextmanager
def recording(upstream_base_url: str) -> Iterator[Recorder]:
    server = Recorder(upstream_base_url)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
