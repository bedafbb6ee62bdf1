"""The local stand-in for the live HiDream API (test code; see server.py for its behaviour).

    from hidream_sim import running_standin
    with running_standin("faithful", token="standin-token") as standin:
        standin.base_url        # http://127.0.0.1:PORT/api-pub/gw/v3 (append /image/image_upscaler/async)
        standin.accepted_tasks  # requests it accepted as paid tasks (code 0)
        standin.requests        # requests it received

Also a command: `python -m hidream_sim --mode MODE --port 0` prints the base URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hidream_sim.results import RESULTS_SUFFIX, TaskBook
from hidream_sim.server import DEFAULT_TOKEN, MODES, OPERATION_PATH, PREFIX, Mode, StandInServer

__all__ = [
    "DEFAULT_TOKEN",
    "MODES",
    "OPERATION_PATH",
    "PREFIX",
    "RESULTS_SUFFIX",
    "Mode",
    "StandIn",
    "TaskBook",
    "running_standin",
]

STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.05  # how soon shutdown() is noticed


class StandIn:
    """A running stand-in: where it is and what it has seen."""

    def __init__(self, server: StandInServer) -> None:
        self._server = server

    def __repr__(self) -> str:
        return f"StandIn(mode={self.mode!r}, base_url={self.base_url!r})"

    @property
    def mode(self) -> str:
        return self._server.mode

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def accepted_tasks(self) -> int:
        return self._server.accepted_tasks

    @property
    def requests(self) -> int:
        return self._server.requests

    @property
    def book(self) -> TaskBook:
        """The accepted tasks' result reads and image requests (results.py)."""
        return self._server.book


@contextmanager
def running_standin(mode: str = "faithful", token: str = DEFAULT_TOKEN) -> Iterator[StandIn]:
    """Serve the stand-in on a free port of 127.0.0.1 in a background thread for the block."""
    server = StandInServer(mode, token)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL_S},
        name=f"standin-{mode}",
        daemon=True,
    )
    thread.start()
    try:
        yield StandIn(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=STOP_TIMEOUT_S)
