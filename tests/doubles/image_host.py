"""A local image host for the download tests: serves canned answers by path on 127.0.0.1, records headers.

    with running_image_host() as host:
        host.url("/ok.png")     # http://127.0.0.1:PORT/ok.png
        host.seen               # [(path, headers), ...] of every request

Paths: /ok.png (a PNG), /redirect (302 to /ok.png), /loop (302 to itself), /missing (404),
/page.html (HTML with 200), /huge (Content-Length over any small limit), /chunked-huge (no length,
endless 64 KiB chunks), /drip (a PNG header, then a byte every 0.2 s, forever), /to-file (302 to file:),
/drip-headers (the status line, then a byte of its headers every 0.2 s, forever), /never (reads the
request, answers nothing until the host stops), /redirect-off-host (302 to another host: localhost).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.doubles.http import PNG

BIG = b"\x89PNG\r\n\x1a\n" + b"\x00" * (64 * 1024 - 8)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers.items())))
        path = self.path.split("?")[0]
        if path == "/ok.png":
            self._send(200, PNG, {"Content-Type": "image/png"})
        elif path == "/redirect":
            self._send(302, headers={"Location": "/ok.png"})
        elif path == "/loop":
            self._send(302, headers={"Location": "/loop"})
        elif path == "/to-file":
            self._send(302, headers={"Location": "file:///etc/passwd"})
        elif path == "/page.html":
            self._send(200, b"<html><body>not an image</body></html>", {"Content-Type": "text/html"})
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(10**12))
            self.end_headers()
        elif path == "/drip-headers":
            self._drip_headers()
        elif path == "/never":
            self.server.stopping.wait()
        elif path == "/redirect-off-host":
            port = self.server.server_address[1]
            self._send(302, headers={"Location": f"http://localhost:{port}/ok.png"})
        elif path in ("/chunked-huge", "/drip"):
            self._stream(drip=path == "/drip")
        else:
            self._send(404, b"no such image")

    def _drip_headers(self) -> None:
        with suppress(OSError):
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            while not self.server.stopping.is_set():
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.2)

    def _stream(self, *, drip: bool) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first = True
        with suppress(OSError):  # the client hangs up: that is how these end
            while not self.server.stopping.is_set():
                data = (PNG[:16] if first else b"\x00") if drip else BIG
                first = False
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                if drip:
                    time.sleep(0.2)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()


class ImageHost:
    def __init__(self, server: _Server) -> None:
        self._server = server

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    @property
    def seen(self) -> list[tuple[str, dict[str, str]]]:
        return self._server.seen


@contextmanager
def running_image_host() -> Iterator[ImageHost]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield ImageHost(server)
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
