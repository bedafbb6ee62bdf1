"""Nothing is lost (issue 28): whatever error one input meets, at whatever step, it is recorded against
that input (manifest and summary, with its task id), no worker dies of it, and the exit code says so;
a paid task whose image cannot be downloaded (its host refusing connections) is *unsaved*, never lost."""

from __future__ import annotations

import io
import json
import socket
import threading
from pathlib import Path
from typing import Any, cast

import anyio
import pytest

import hidream
import hidream.batch
from hidream import _manifest
from hidream._cli_batch import EXIT_UNFINISHED, exit_code
from hidream.cli import main
from tests.client.matrix import IMAGE_PATH, TASK_ID, good_api, good_image
from tests.doubles.http import TOKEN, HostileServer, Received

ERRORS = [
    ValueError("embedded null byte"),
    RuntimeError("a bug"),
    KeyError("image"),
    OSError(28, "No space left on device"),
]


def serving() -> HostileServer:
    def dispatch(server: HostileServer, connection: Any, request: Received) -> None:
        if request.line.split()[1].startswith(IMAGE_PATH):
            good_image(server, connection, request)
        else:
            good_api(server, connection, request)

    return HostileServer(dispatch)


class Faulty:
    """A real client whose `step` raises `error` (result reads or downloads)."""

    def __init__(self, client: Any, step: str, error: Exception) -> None:
        self.upscale = self
        self._client = client
        self._step = step
        self._error = error

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        return self._client.upscale.submit(*args, **kwargs)

    def result(self, *args: Any, **kwargs: Any) -> Any:
        if self._step == "result":
            raise self._error
        return self._client.upscale.result(*args, **kwargs)

    def download(self, *args: Any, **kwargs: Any) -> Any:
        if self._step == "download":
            raise self._error
        return self._client.upscale.download(*args, **kwargs)


class AsyncFaulty(Faulty):
    async def submit(self, *args: Any, **kwargs: Any) -> Any:
        return await self._client.upscale.submit(*args, **kwargs)

    async def result(self, *args: Any, **kwargs: Any) -> Any:
        if self._step == "result":
            raise self._error
        return await self._client.upscale.result(*args, **kwargs)

    async def download(self, *args: Any, **kwargs: Any) -> Any:
        if self._step == "download":
            raise self._error
        return await self._client.upscale.download(*args, **kwargs)


URLS = [f"https://img.example.test/p{n}.png" for n in range(3)]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("step", ["result", "download"])
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_any_error_at_any_step_is_recorded_against_its_input(
    tmp_path: Path, mode: str, step: str, error: Exception
) -> None:
    threads_died: list[Any] = []
    previous = threading.excepthook
    threading.excepthook = threads_died.append
    try:
        with serving() as server:
            base = server.url + "/gw"
            if mode == "sync":
                with hidream.HiDream(token=TOKEN, base_url=base) as client:
                    summary = hidream.batch.run(
                        cast("hidream.HiDream", Faulty(client, step, error)),
                        URLS,
                        tmp_path / "out",
                        poll_interval=0.05,
                        concurrency=2,
                    )
            else:

                async def run() -> hidream.batch.BatchSummary:
                    async with hidream.AsyncHiDream(token=TOKEN, base_url=base) as client:
                        return await hidream.batch.arun(
                            cast("hidream.AsyncHiDream", AsyncFaulty(client, step, error)),
                            URLS,
                            tmp_path / "out",
                            poll_interval=0.05,
                        )

                summary = anyio.run(run)
    finally:
        threading.excepthook = previous
    assert threads_died == [], "a worker died"
    c = summary.counts
    assert c.total == len(URLS)
    assert c.unsaved == len(URLS), c  # each paid for, recorded: the next run reads and downloads again
    assert {event.source for event in summary.problems} == set(URLS)
    assert all(
        event.task_id == TASK_ID and type(error).__name__ in (event.detail or "")
        for event in summary.problems
    )
    records = list(_manifest.records(summary.manifest))
    assert sum(record["event"] == "unsaved" and record["task_id"] == TASK_ID for record in records) == len(
        URLS
    )
    assert exit_code(summary) == EXIT_UNFINISHED
    again = hidream.batch.plan(URLS, tmp_path / "out")
    assert again.count(hidream.batch.COLLECT) == len(URLS)  # never resubmitted: collected


def test_a_display_that_raises_stops_nothing(tmp_path: Path) -> None:
    def broken(event: hidream.batch.BatchEvent) -> None:
        raise RuntimeError("the display broke")

    with serving() as server, hidream.HiDream(token=TOKEN, base_url=server.url + "/gw") as client:
        summary = hidream.batch.run(client, URLS, tmp_path / "out", poll_interval=0.05, on_event=broken)
    assert summary.counts.done == len(URLS)
    assert summary.finished


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refusing_image_host() -> HostileServer:
    """The API answers well; its result's image lives on a port where nothing listens."""
    port = _closed_port()

    def dispatch(server: HostileServer, connection: Any, request: Received) -> None:
        if request.line.startswith("POST"):
            good_api(server, connection, request)
            return
        body = {
            "code": 0,
            "message": "Success",
            "request_id": "rid",
            "result": {
                "sub_task_results": [
                    {"sub_task_id": "s1", "task_status": 1, "image": f"http://127.0.0.1:{port}/image.png"}
                ]
            },
        }
        data = json.dumps(body).encode()
        server.send(
            connection,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(data)).encode()
            + b"\r\n\r\n"
            + data,
        )

    return HostileServer(dispatch)


@pytest.mark.parametrize("command", ["submit", "result", "batch"])
def test_an_image_host_refusing_connections_is_an_unsaved_paid_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The task is paid: exit 12 for -o (the documented 'could not be downloaded'), never 8 ('no
    response', which a script may read as 'submit again'); batch: *unsaved*, exit 15."""
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    image = tmp_path / "in.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 16)
    target = tmp_path / "out.png"
    with refusing_image_host() as server:
        base = ["--base-url", server.url + "/gw"]
        argv = {
            "submit": ["submit", str(image), "-o", str(target), "--poll-interval", "0.05", *base],
            "result": ["result", TASK_ID, "-o", str(target), "--poll-interval", "0.05", *base],
            "batch": ["batch", str(image), "-o", str(tmp_path / "out"), "--poll-interval", "0.05", *base],
        }[command]
        out, err = io.StringIO(), io.StringIO()
        code = main(argv, stdout=out, stderr=err)
    if command == "batch":
        assert code == EXIT_UNFINISHED, err.getvalue()
        assert "unsaved" in out.getvalue()
    else:
        assert code == 12, err.getvalue()
        assert "ConnectError" in err.getvalue() or "APIConnectionError" in err.getvalue()
        assert f"hidream-upscale result {TASK_ID} --wait -o" in err.getvalue()
        assert not target.exists()
