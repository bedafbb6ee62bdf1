"""The task's whole life, end to end over real sockets: submit, wait, the output image, the callback.

Against the stand-in (tasks move through the statuses, the images are served) and against the Prism
mock of the spec (its examples, and the `notify_url` callback the spec declares, fired by Prism at a
local receiver).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from hidream import (
    AsyncHiDream,
    HiDream,
    TaskFailedError,
    TaskRefusedError,
    TaskStatus,
    WaitTimeoutError,
    parse_callback,
)
from hidream_contract.spec import RESULT_ID, load, response_examples, submit
from hidream_sim import StandIn, running_standin
from hidream_sim.png import png_size

TOKEN = "lifecycle-token"
IMAGE = "https://storage.example.test/photo.png"
FAST = 0.05  # poll_interval: the stand-in moves one step per read, nothing to wait for


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin("faithful", token=TOKEN) as server:
        yield server


# --- against the stand-in --------------------------------------------------------------------------


def test_submit_and_wait_returns_the_output_image(standin: StandIn, tmp_path: Path) -> None:
    seen: list[TaskStatus] = []
    with HiDream(token=TOKEN, base_url=standin.base_url) as client:
        result = client.upscale.submit_and_wait(
            IMAGE, upsale_ratio=4, on_update=lambda r: seen.append(r.status), poll_interval=FAST
        )
        (path,) = client.upscale.download(result, tmp_path / "big.png")
    assert seen == [TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.SUCCEEDED]
    assert png_size(path.read_bytes()) == (64, 64)  # the simulator's 16x16 URL input, times 4
    assert standin.accepted_tasks == 1
    assert standin.book.image_requests == 1
    assert standin.book.image_requests_with_auth == 0  # the token never went to the image host


def test_async_submit_and_wait_returns_the_output_image(standin: StandIn, tmp_path: Path) -> None:
    async def run() -> list[Path]:
        async with AsyncHiDream(token=TOKEN, base_url=standin.base_url) as client:
            result = await client.upscale.submit_and_wait(IMAGE, poll_interval=FAST)
            return await client.upscale.download(result, tmp_path / "big.png")

    (path,) = anyio.run(run)
    assert png_size(path.read_bytes()) == standin.tasks[0].output_size
    assert standin.accepted_tasks == 1


@pytest.mark.parametrize(
    ("image", "error", "status"),
    [
        ("https://storage.example.test/fail.png", TaskFailedError, TaskStatus.FAILED),
        ("https://storage.example.test/unsafe.png", TaskRefusedError, TaskStatus.REFUSED),
    ],
)
def test_a_task_that_ends_without_its_image_is_its_typed_error(
    standin: StandIn, image: str, error: type[Exception], status: TaskStatus
) -> None:
    with HiDream(token=TOKEN, base_url=standin.base_url) as client, pytest.raises(error) as caught:
        client.upscale.submit_and_wait(image, poll_interval=FAST)
    assert caught.value.result.status is status  # type: ignore[attr-defined]
    assert standin.accepted_tasks == 1


def test_reading_an_unknown_task_is_rejected(standin: StandIn) -> None:
    with (
        HiDream(token=TOKEN, base_url=standin.base_url) as client,
        pytest.raises(Exception, match="no such task"),
    ):
        client.upscale.result("no-such-task")


# --- against the Prism mock ------------------------------------------------------------------------


@pytest.mark.prism
def test_submit_and_wait_against_the_mock_returns_the_examples_image(mock_base_url: str) -> None:
    example = response_examples(RESULT_ID)[(200, "succeeded")]
    with HiDream(token=TOKEN, base_url=mock_base_url) as client:
        result = client.upscale.submit_and_wait(IMAGE, poll_interval=FAST)
    assert result.images == tuple(sub["image"] for sub in example["result"]["sub_task_results"])
    assert result.succeeded


@pytest.mark.prism
def test_a_wait_on_the_mock_times_out_naming_the_task(mock_base_url: str) -> None:
    # Prism answers the example a request asks for; the inProgress one never becomes final.
    headers = {"Prefer": "example=inProgress"}
    with (
        HiDream(token=TOKEN, base_url=mock_base_url, default_headers=headers) as client,
        pytest.raises(WaitTimeoutError) as caught,
    ):
        client.upscale.wait("task-42", timeout=0.3, poll_interval=0.1)
    assert caught.value.task_id == "task-42"
    assert "task-42" in str(caught.value)


@dataclass
class Receiver:
    """A local notify_url receiver: keeps every POST it gets."""

    url: str
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@contextmanager
def receiving() -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.bodies.append(body)
            receiver.headers.append(dict(self.headers.items()))
            parse_callback(body)  # what a receiver does; a bad body would fail the test below
            self.send_response(204)
            self.end_headers()
            receiver.arrived.set()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/hidream")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def callback_example() -> dict[str, Any]:
    callbacks = load()["paths"][submit().path]["post"]["callbacks"]
    (expression,) = callbacks["taskFinished"].values()
    value: dict[str, Any] = expression["post"]["requestBody"]["content"]["application/json"]["examples"][
        "succeeded"
    ]["value"]
    return value


@pytest.mark.prism
def test_prism_fires_the_declared_callback_at_a_local_receiver(mock_base_url: str) -> None:
    with receiving() as receiver, HiDream(token=TOKEN, base_url=mock_base_url) as client:
        task = client.upscale.submit(IMAGE, notify_url=receiver.url)
        assert receiver.arrived.wait(timeout=20), "Prism did not call the notify_url"
    (body,) = receiver.bodies
    assert json.loads(body) == callback_example()
    assert receiver.headers[0]["content-type"] == "application/json"
    result = parse_callback(body)
    assert result.succeeded
    assert result.images
    assert task.task_id  # the submit itself answered as usual


@pytest.mark.prism
def test_prism_does_not_call_back_without_a_notify_url(mock_base_url: str) -> None:
    with receiving() as receiver:
        response = httpx.post(
            mock_base_url + submit().path,
            json={"image": IMAGE, "upsale_ratio": 2},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert not receiver.arrived.wait(timeout=1)
    assert receiver.bodies == []
