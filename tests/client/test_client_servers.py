"""The client over real sockets on 127.0.0.1: the local stand-in of the live API (counting the paid tasks
it accepted), a port nobody listens on, a server that never answers, and a keep-alive server that shows
one connection pool serving many calls."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest

from hidream import (
    APIConnectionError,
    APITimeoutError,
    AsyncHiDream,
    AuthenticationError,
    HiDream,
    HiDreamError,
    MalformedResponseError,
    RateLimitError,
    RejectedRequestError,
    RetryPolicy,
    ServerError,
    UpscaleTask,
)
from hidream_sim import running_standin
from tests.doubles.http import ACCEPTED, PNG, Sleeps, record_sleeps

STANDIN_TOKEN = "standin-token"
IMAGE = "https://storage.example.test/photo.png"  # the stand-in "fetches" URLs ending in an image suffix


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    return record_sleeps(monkeypatch)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def submit_sync(base_url: str, image: Any = IMAGE, token: str = STANDIN_TOKEN, **kw: Any) -> UpscaleTask:
    retry = kw.pop("retry", None)
    with HiDream(token=token, base_url=base_url, retry=retry, timeout=kw.pop("timeout", 5.0)) as client:
        return client.upscale.submit(image, upsale_ratio=4, **kw)


def test_stand_in_accepts_a_url_and_a_local_file_as_one_task_each(sleeps: Sleeps, tmp_path: Any) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    with running_standin("faithful", token=STANDIN_TOKEN) as standin:
        by_url = submit_sync(standin.base_url, language="en", request_id="mine-1")
        by_file = submit_sync(standin.base_url, image=photo)
        assert (standin.requests, standin.accepted_tasks) == (2, 2)
    assert by_url.task_id != by_file.task_id
    assert len(by_url.sub_task_ids) == 1
    assert by_url.request_id == "mine-1"  # the stand-in echoes the caller's id, like the provider's sample
    assert by_url.message == "Success"


@pytest.mark.anyio
async def test_stand_in_async_concurrent_submits_create_exactly_one_task_each(sleeps: Sleeps) -> None:
    with running_standin("faithful", token=STANDIN_TOKEN) as standin:
        async with AsyncHiDream(token=STANDIN_TOKEN, base_url=standin.base_url) as client:
            tasks: list[UpscaleTask] = []

            async def one() -> None:
                tasks.append(await client.upscale.submit(IMAGE, upsale_ratio=2))

            async with anyio.create_task_group() as group:
                for _ in range(5):
                    group.start_soon(one)
        assert (standin.requests, standin.accepted_tasks) == (5, 5)
    assert len({task.task_id for task in tasks}) == 5


@pytest.mark.parametrize(
    ("mode", "kwargs", "error", "requests", "tasks"),
    [
        ("faithful", {"image": "https://storage.example.test/page.html"}, RejectedRequestError, 1, 0),
        ("reject-400", {"image": "https://storage.example.test/page.html"}, RejectedRequestError, 1, 0),
        ("faithful", {"token": "wrong-token"}, AuthenticationError, 1, 0),
        ("throttled", {}, RateLimitError, 3, 0),
        ("unavailable", {}, ServerError, 1, 0),
        ("rejection-500", {"image": "https://storage.example.test/page.html"}, ServerError, 1, 0),
        # The task was created and billed, but the answer breaks the spec: one request, never a second task.
        ("missing-result", {}, MalformedResponseError, 1, 1),
        ("retype-code", {}, MalformedResponseError, 1, 1),
        ("rename-task-id", {}, MalformedResponseError, 1, 1),
        ("retype-sub-task-ids", {}, MalformedResponseError, 1, 1),
    ],
)
def test_stand_in_failures_map_to_typed_errors_without_duplicate_tasks(
    sleeps: Sleeps, mode: str, kwargs: dict[str, Any], error: type[HiDreamError], requests: int, tasks: int
) -> None:
    with running_standin(mode, token=STANDIN_TOKEN) as standin:
        with pytest.raises(error) as raised:
            submit_sync(standin.base_url, **kwargs)
        assert (standin.requests, standin.accepted_tasks) == (requests, tasks)
    if error is not MalformedResponseError:
        assert raised.value.request_id  # the stand-in's envelopes carry one, and the error keeps it


def test_stand_in_rejection_carries_code_message_and_status(sleeps: Sleeps) -> None:
    with (
        running_standin("reject-400", token=STANDIN_TOKEN) as standin,
        pytest.raises(RejectedRequestError) as raised,
    ):
        submit_sync(standin.base_url, image="https://storage.example.test/page.html", language="en")
    assert (raised.value.code, raised.value.http_status) == (1001, 400)
    assert "image" in raised.value.message


def test_stand_in_flaky_429_is_retried_into_one_task(sleeps: Sleeps) -> None:
    with running_standin("flaky-429", token=STANDIN_TOKEN) as standin:
        task = submit_sync(standin.base_url)
        assert (standin.requests, standin.accepted_tasks) == (2, 1)
    assert task.task_id
    assert len(sleeps.waits) == 1


def test_stand_in_503_is_retried_only_when_opted_in(sleeps: Sleeps) -> None:
    with running_standin("unavailable", token=STANDIN_TOKEN) as standin:
        with pytest.raises(ServerError):
            submit_sync(standin.base_url, retry=RetryPolicy(retry_server_errors=True))
        assert standin.requests == 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_connection_refused_is_typed_and_retried(sleeps: Sleeps) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/api-pub/gw/v3"
    with pytest.raises(APIConnectionError) as raised:
        submit_sync(base_url)
    assert raised.value.request_sent is False
    assert not isinstance(raised.value, APITimeoutError)
    assert len(sleeps.waits) == 2  # three attempts


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """Accepts connections and never answers: what a hung gateway looks like."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/gw", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_read_timeout_is_typed_and_not_retried(
    sleeps: Sleeps, silent_server: tuple[str, list[socket.socket]]
) -> None:
    base_url, accepted = silent_server
    with pytest.raises(APITimeoutError) as raised:
        submit_sync(base_url, timeout=0.3)
    assert raised.value.phase == "read"
    assert len(accepted) == 1
    assert sleeps.waits == []


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = json.dumps(ACCEPTED).encode()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.peers.append(self.client_address)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def keep_alive_server() -> Iterator[tuple[str, list[tuple[str, int]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    server.peers = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.peers  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_sync_calls_reuse_one_pooled_connection(keep_alive_server: tuple[str, list[tuple[str, int]]]) -> None:
    base_url, peers = keep_alive_server
    with HiDream(token="pool-test-token", base_url=base_url) as client:
        for _ in range(4):
            assert client.upscale.submit(IMAGE).task_id == ACCEPTED["result"]["task_id"]  # type: ignore[index]
    assert len(peers) == 4
    assert len(set(peers)) == 1  # one client port: one connection, kept alive


@pytest.mark.anyio
async def test_async_calls_share_one_pool(keep_alive_server: tuple[str, list[tuple[str, int]]]) -> None:
    base_url, peers = keep_alive_server
    async with AsyncHiDream(token="pool-test-token", base_url=base_url) as client:
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(client.upscale.submit, IMAGE)
        concurrent = set(peers)
        for _ in range(3):
            await client.upscale.submit(IMAGE)
    assert len(peers) == 6
    assert len(concurrent) <= 3
    # the later calls found the earlier calls' connections idle in the same pool, none new
    assert set(peers[3:]) <= concurrent
