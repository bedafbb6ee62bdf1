"""Hostile servers: whatever comes back, the call ends typed, bounded in time and in memory, and never
follows a redirect. Each rule over real sockets (a misbehaving server on 127.0.0.1) and at the
transport (`httpx.MockTransport`), sync and async."""

from __future__ import annotations

import json
import socket
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from hidream import (
    MAX_RESPONSE_BYTES,
    APIConnectionError,
    APITimeoutError,
    AsyncHiDream,
    HiDream,
    HiDreamError,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
    RetryPolicy,
    UpscaleTask,
)
from hidream._core import has_deadline_sockets
from tests.doubles.http import (
    ACCEPTED,
    IMAGE_URL,
    PNG,
    REJECTED,
    TOKEN,
    HostileServer,
    Received,
    Script,
    Sleeps,
    answer,
    async_transport,
    record_sleeps,
    sync_transport,
)

MODES = ["sync", "async"]
JSON = {"Content-Type": "application/json"}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    return record_sleeps(monkeypatch)


def submit(
    mode: str, base_url: str, *, image: Any = IMAGE_URL, http: Any = None, **options: Any
) -> UpscaleTask:
    """One submit through a fresh client of the given flavour against `base_url`."""
    call = (
        {"deadline": options.pop("deadline")} if "deadline" in options else {}
    )  # per call; the rest per client
    settings = {"token": TOKEN, "base_url": base_url, "retry": RetryPolicy.disabled(), **options}
    if mode == "sync":
        with HiDream(http_client=http, **settings) as client:
            return client.upscale.submit(image, **call)

    async def run() -> UpscaleTask:
        async with AsyncHiDream(http_client=http, **settings) as client:
            return await client.upscale.submit(image, **call)

    return anyio.run(run)


def failing(mode: str, base_url: str, error: type[HiDreamError] = HiDreamError, **options: Any) -> Any:
    with pytest.raises(error) as raised:
        submit(mode, base_url, **options)
    return raised.value


# --- every call bounded: the whole-call deadline -------------------------------------------------


def drip_body(server: HostileServer, connection: socket.socket, request: Received) -> None:
    server.send(
        connection, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    )
    server.drip(connection, b"{" * 100_000)


def drip_headers(server: HostileServer, connection: socket.socket, request: Received) -> None:
    server.send(connection, b"HTTP/1.1 200 OK\r\nX-Pad: ")
    server.drip(connection, b"a" * 10_000)


def stall(server: HostileServer, connection: socket.socket, request: Received) -> None:
    server.stopping.wait(60)  # reads the request line and headers, then nothing


@pytest.mark.parametrize("behaviour", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_server_dripping_bytes_is_cut_at_the_deadline(mode: str, behaviour: Any) -> None:
    # One byte every 0.05 s never trips the 2 s read timeout; only the deadline ends the call.
    with HostileServer(behaviour) as server:
        started = time.monotonic()
        error = failing(mode, server.url, APITimeoutError, timeout=2.0, deadline=0.5)
        elapsed = time.monotonic() - started
        assert server.hung_up.wait(5)  # the client closed the connection, it did not just stop reading
    assert error.phase == "deadline"
    assert error.request_sent is True
    assert "deadline of 0.5s" in error.message
    assert elapsed < 5  # the server would have dripped for 5000 s (body) or 500 s (headers)


def test_a_server_that_never_reads_the_upload_is_cut_at_the_deadline(mode: str) -> None:
    image = PNG + b"\0" * (9 * 2**20)  # 12 MiB of JSON: more than the loopback buffers take
    with HostileServer(stall, read_body=False) as server:
        error = failing(mode, server.url, APITimeoutError, image=image, timeout=30.0, deadline=1.0)
    assert error.phase == "deadline"


def test_no_timeout_at_all_still_ends_at_the_deadline(mode: str) -> None:
    with HostileServer(stall) as server:
        error = failing(mode, server.url, APITimeoutError, timeout=None, deadline=0.3)
    assert error.phase == "deadline"


def test_the_clients_own_sync_pool_enforces_the_deadline_in_its_sockets() -> None:
    # The header-drip case above depends on it; an httpx upgrade that moved the pool would show here.
    with HiDream(token=TOKEN) as client:
        assert has_deadline_sockets(client._core.http)
    with HiDream(token=TOKEN, http_client=httpx.Client()) as theirs:
        assert not has_deadline_sockets(theirs._core.http)


class SlowStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that keeps coming: a chunk every `every` seconds, for ever."""

    def __init__(self, chunk: bytes = b" ", every: float = 0.02) -> None:
        self.chunk = chunk
        self.every = every

    def __iter__(self) -> Iterator[bytes]:
        while True:
            time.sleep(self.every)
            yield self.chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            await anyio.sleep(self.every)
            yield self.chunk


def transport_client(mode: str, handler: Any, **options: Any) -> Any:
    transport = httpx.MockTransport(handler)
    return (
        httpx.Client(transport=transport, **options)
        if mode == "sync"
        else httpx.AsyncClient(transport=transport, **options)
    )


def test_at_the_transport_a_body_that_keeps_coming_ends_at_the_deadline(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=JSON, stream=SlowStream())

    started = time.monotonic()
    error = failing(
        mode, "https://gateway.test", APITimeoutError, http=transport_client(mode, handler), deadline=0.3
    )
    assert error.phase == "deadline"
    assert time.monotonic() - started < 5


def test_a_retry_whose_wait_would_cross_the_deadline_is_not_made(mode: str, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "5"}), httpx.Response(200, json=ACCEPTED))
    http = sync_transport(script) if mode == "sync" else async_transport(script)
    error = failing(mode, "https://gateway.test", RateLimitError, http=http, retry=RetryPolicy(), deadline=4)
    assert error.retry_after == 5
    assert script.sent == 1
    assert sleeps.waits == []


def test_the_deadline_is_per_client_and_per_call(sleeps: Sleeps) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "5"})
    script = Script(limited, limited, httpx.Response(200, json=ACCEPTED))
    with HiDream(token=TOKEN, deadline=4, http_client=sync_transport(script)) as client:
        with pytest.raises(RateLimitError):
            client.upscale.submit(IMAGE_URL)  # the client's 4 s: no room for the 5 s wait
        assert client.upscale.submit(IMAGE_URL, deadline=10).task_id  # this call's 10 s: waits, retries
    assert script.sent == 3
    assert sleeps.waits == [5]


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf"), "5", True])
def test_a_deadline_must_be_positive_seconds(deadline: Any) -> None:
    with pytest.raises(HiDreamError, match="deadline"):
        HiDream(token=TOKEN, deadline=deadline)
    with (
        HiDream(token=TOKEN, http_client=sync_transport(Script())) as client,
        pytest.raises(HiDreamError, match="deadline"),
    ):
        client.upscale.submit(IMAGE_URL, deadline=deadline)


# --- every answer ends typed, with a bounded read ------------------------------------------------


def endless_chunks(status: int) -> Any:
    def behaviour(server: HostileServer, connection: socket.socket, request: Received) -> None:
        server.send(connection, f"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
        while not server.stopping.is_set():
            server.send(connection, chunk)

    return behaviour


@pytest.mark.parametrize(
    ("status", "error"), [(200, MalformedResponseError), (429, RateLimitError), (502, MalformedServerError)]
)
def test_an_endless_body_is_read_up_to_the_limit_and_the_status_still_decides(
    mode: str, status: int, error: type[HiDreamError]
) -> None:
    with HostileServer(endless_chunks(status)) as server:
        raised = failing(mode, server.url, error)
        assert server.hung_up.wait(5)
    assert type(raised) is error
    assert raised.http_status == status
    assert f"longer than the limit of {MAX_RESPONSE_BYTES} bytes" in raised.message
    assert server.sent < 64 * MAX_RESPONSE_BYTES  # it stopped reading; the rest is what the buffers held


def gzip_bomb(server: HostileServer, connection: socket.socket, request: Received) -> None:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(deflate.compress(b"\0" * 2**20) for _ in range(64)) + deflate.flush()  # 64 MiB -> 64 KiB
    server.send(connection, answer(200, bomb, {"Content-Encoding": "gzip", **JSON}))


def test_a_compressed_bomb_is_inflated_no_further_than_the_limit(mode: str) -> None:
    with HostileServer(gzip_bomb) as server:
        raised = failing(mode, server.url, MalformedResponseError)
    assert "inflates to more than the limit" in raised.message
    assert server.received[0].headers["accept-encoding"] == "identity"  # it was not asked for


def reply(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    def behaviour(server: HostileServer, connection: socket.socket, request: Received) -> None:
        server.send(connection, answer(status, body, {**JSON, **(headers or {})}))

    return behaviour


REJECTION_GBK = json.dumps(
    {"code": 1001, "message": "图片格式错误", "request_id": "r-gbk"}, ensure_ascii=False
)


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (REJECTION_GBK.encode("gbk"), {"Content-Type": "application/json; charset=gbk"}, "图片格式错误"),
        (REJECTION_GBK.encode("gbk"), {}, None),  # no charset: the envelope around the bytes still reads
        (b"\xef\xbb\xbf" + json.dumps(REJECTED).encode(), {}, REJECTED["message"]),  # a UTF-8 BOM
        (json.dumps(REJECTED).encode() + b"\n<!-- proxy -->", {}, REJECTED["message"]),
    ],
    ids=["gbk-declared", "gbk-undeclared", "bom", "trailing-bytes"],
)
def test_an_odd_body_around_a_readable_envelope_keeps_the_services_code(
    mode: str, body: bytes, headers: dict[str, str], message: str | None
) -> None:
    with HostileServer(reply(body, headers=headers)) as server:
        raised = failing(mode, server.url, RejectedRequestError)
    assert (raised.code, raised.request_id) == (1001, "r-gbk" if b"r-gbk" in body else REJECTED["request_id"])
    if message is not None:
        assert raised.message == message


def raw(data: bytes) -> Any:
    def behaviour(server: HostileServer, connection: socket.socket, request: Received) -> None:
        server.send(connection, data)
        connection.shutdown(socket.SHUT_WR)

    return behaviour


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (raw(b"SSH-2.0-OpenSSH_9.6\r\n"), APIConnectionError),
        (raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"), APIConnectionError),
        (
            raw(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + json.dumps(ACCEPTED).encode()),
            APIConnectionError,
        ),
        (raw(b""), APIConnectionError),
        (reply(b"[" * 100_000), MalformedResponseError),
        (reply(b'{"code": 1' + b"0" * 5000 + b"}"), MalformedResponseError),
        (reply(bytes(range(256)) * 16), MalformedResponseError),
        (reply(b"", status=204), MalformedResponseError),
        (reply(json.dumps(ACCEPTED).encode(), status=999), MalformedResponseError),
    ],
    ids=[
        "not-http",
        "header-bomb",
        "cut-short",
        "closed",
        "deep-json",
        "huge-int",
        "binary",
        "204",
        "status-999",
    ],
)
def test_whatever_comes_back_ends_as_a_typed_error(
    mode: str, behaviour: Any, error: type[HiDreamError]
) -> None:
    with HostileServer(behaviour) as server:
        raised = failing(mode, server.url, HiDreamError)
    assert isinstance(raised, error), repr(raised)


def test_control_characters_from_the_service_are_escaped_before_they_reach_a_terminal(mode: str) -> None:
    hostile = {"code": 1001, "message": "bad\x1b[2J\x1b]0;owned\x07 image\ud800", "request_id": "r\x00"}
    body = json.dumps(hostile).encode()  # \ud800 travels as an escape: valid JSON, a lone surrogate
    with HostileServer(reply(body)) as server:
        raised = failing(mode, server.url, RejectedRequestError)
    assert "\x1b" not in raised.message
    assert "\x07" not in raised.message
    assert "\\x1b[2J" in raised.message
    str(raised).encode("utf-8")  # printable and encodable: no UnicodeEncodeError on a terminal or in a log
    assert raised.request_id == "r\\x00"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"x" * (MAX_RESPONSE_BYTES + 10), None),
        (b"\xff\xfe" * 10, None),
        (json.dumps({**ACCEPTED, "message": "Succ\xe8s"}, ensure_ascii=False).encode("latin-1"), 0),
        (b"[" * 50_000, None),
    ],
    ids=["oversized", "not-utf8", "code-0-not-utf8", "deep"],
)
def test_at_the_transport_odd_bodies_end_typed_and_keep_the_code_they_show(
    mode: str, body: bytes, code: int | None
) -> None:
    script = Script(httpx.Response(200, content=body, headers=JSON))
    http = sync_transport(script) if mode == "sync" else async_transport(script)
    raised = failing(mode, "https://gateway.test", MalformedResponseError, http=http)
    assert raised.code == code
    assert len(raised.message) < 1000


def test_at_the_transport_an_endless_stream_is_read_up_to_the_limit(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=JSON, stream=SlowStream(b"x" * 65536, every=0))

    raised = failing(
        mode, "https://gateway.test", MalformedResponseError, http=transport_client(mode, handler)
    )
    assert "longer than the limit" in raised.message


# --- redirects are never followed -------------------------------------------------------------


def redirect_to(location: str, status: int = 307) -> Any:
    def behaviour(server: HostileServer, connection: socket.socket, request: Received) -> None:
        server.send(connection, answer(status, b"", {"Location": location}))

    return behaviour


@pytest.mark.parametrize("follow", [False, True], ids=["own-pool", "their-client-follows-redirects"])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_the_error_names_where_it_pointed(
    mode: str, status: int, follow: bool
) -> None:
    with HostileServer(reply(json.dumps(ACCEPTED).encode())) as elsewhere:
        target = elsewhere.url + "/steal?x=1"
        with HostileServer(redirect_to(target, status)) as gateway:
            http = None
            if follow:  # a user's client set to follow redirects: the call still does not
                http = (
                    httpx.Client(follow_redirects=True)
                    if mode == "sync"
                    else httpx.AsyncClient(follow_redirects=True)
                )
            raised = failing(mode, gateway.url, MalformedResponseError, http=http)
        assert elsewhere.received == []  # neither the token nor the image went there
    assert raised.http_status == status
    assert target in raised.message
    assert "not followed" in raised.message


def test_at_the_transport_a_redirect_is_one_request(mode: str) -> None:
    script = Script(
        httpx.Response(302, headers={"Location": "https://evil.test/x"}), httpx.Response(200, json=ACCEPTED)
    )
    http = sync_transport(script) if mode == "sync" else async_transport(script)
    http.follow_redirects = True
    raised = failing(mode, "https://gateway.test", MalformedResponseError, http=http)
    assert script.sent == 1
    assert "https://evil.test/x" in raised.message
