"""A local server that answers every interop case, so each generated client reads them through its own
HTTP path: Prism serves only the spec's declared examples, not the derived bodies (a rejection's
`result` null or `{}`, the harmless extra fields).

Each case gets an example name `replay-<n>` (the driver input written by `replay_input`); a driver asks
for it as it asks Prism, with `Prefer: code=<status>, example=replay-<n>`, and the server answers that
case's status and body, when the request's method and path are the case's operation's. Anything else
is answered 404 with what was wrong, so the driver's answer names it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hidream_contract.interop.cases import Case, driver_input
from hidream_contract.mock import base_path
from hidream_contract.spec import SPEC_PATH, load, operation

PREFIX = "replay-"
PREFER = re.compile(r"example=(" + PREFIX + r"\d+)")


def replay_input(spec: Path = SPEC_PATH) -> dict[str, Any]:
    """The driver input with every case named `replay-<n>`, so a driver asks the server for each."""
    data = driver_input(spec)
    for number, case in enumerate(data["cases"]):
        case["example"] = f"{PREFIX}{number}"
    return data


def _handler(routes: dict[str, tuple[str, str, Case]]) -> type[BaseHTTPRequestHandler]:
    class Replay(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            found = PREFER.search(self.headers.get("Prefer", ""))
            route = routes.get(found.group(1)) if found else None
            path = urlsplit(self.path).path
            if route is None or (self.command, path) != route[:2]:
                wanted = f"{route[0]} {route[1]}" if route else "a Prefer header naming a replay case"
                self._send(404, {"error": f"{self.command} {path}: expected {wanted}"}, {})
                return
            case = route[2]
            headers = {"WWW-Authenticate": "Bearer"} if case.status == 401 else {}
            self._send(case.status, case.body, headers)

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the drivers' answers say what went wrong."""

    return Replay


@contextmanager
def replaying(cases: list[Case], spec: Path = SPEC_PATH) -> Iterator[str]:
    """Serve `cases` (in the order `replay_input` numbers them) on 127.0.0.1; yield the base URL (the
    origin plus the documented base path, as Prism's)."""
    prefix = base_path(load(spec))
    routes = {}
    for number, case in enumerate(cases):
        op = operation(case.operation, spec)
        routes[f"{PREFIX}{number}"] = (op.method.upper(), prefix + op.path, case)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(routes))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
