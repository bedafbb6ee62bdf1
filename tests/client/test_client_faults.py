"""Fault injection at the transport: every failure maps to its typed error, and exactly the right number
of requests is sent — a retry storm or a duplicate paid task would show up in `script.sent`."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from hidream import (
    APIConnectionError,
    APITimeoutError,
    AsyncHiDream,
    AuthenticationError,
    HiDream,
    HiDreamError,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
    RetryPolicy,
    ServerError,
    UpscaleTask,
)
from tests.doubles.http import (
    ACCEPTED,
    IMAGE_URL,
    REJECTED,
    TOKEN,
    Script,
    Sleeps,
    async_transport,
    ok,
    record_sleeps,
    sync_transport,
)

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
TRUNCATED = b'{"code": 0, "message": "Success", "request_id": "abc", "result": {"task_id": "t'


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    return record_sleeps(monkeypatch)


def submit(mode: str, script: Script, *, retry: RetryPolicy | None = None, **call: Any) -> UpscaleTask:
    """One submit through a fresh client of the given flavour, transported by `script`."""
    if mode == "sync":
        with HiDream(
            token=TOKEN, base_url="https://gateway.test", retry=retry, http_client=sync_transport(script)
        ) as c:
            return c.upscale.submit(IMAGE_URL, upsale_ratio=4, **call)

    async def run() -> UpscaleTask:
        http = async_transport(script)
        async with AsyncHiDream(
            token=TOKEN, base_url="https://gateway.test", retry=retry, http_client=http
        ) as c:
            return await c.upscale.submit(IMAGE_URL, upsale_ratio=4, **call)

    return anyio.run(run)


def connect_refused(request: httpx.Request) -> Exception:
    return httpx.ConnectError("[Errno 111] Connection refused", request=request)


def read_timeout(request: httpx.Request) -> Exception:
    return httpx.ReadTimeout("timed out", request=request)


def connect_timeout(request: httpx.Request) -> Exception:
    return httpx.ConnectTimeout("timed out", request=request)


def server_disconnected(request: httpx.Request) -> Exception:
    return httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


# (case, replies, expected error class, requests sent) under the default policy (3 attempts).
NOT_RETRIED = [
    ("500", [httpx.Response(500, json={"code": 500, "message": "Internal error"})], ServerError, 1),
    ("503", [httpx.Response(503, json={"code": 503, "message": "busy"})], ServerError, 1),
    ("html-502", [httpx.Response(502, html=HTML_502)], MalformedServerError, 1),
    ("truncated-json", [httpx.Response(200, content=TRUNCATED)], MalformedResponseError, 1),
    ("read-timeout", [read_timeout], APITimeoutError, 1),
    ("disconnected", [server_disconnected], APIConnectionError, 1),
    ("code-200", [httpx.Response(200, json=REJECTED)], RejectedRequestError, 1),
    ("code-400", [httpx.Response(400, json=REJECTED)], RejectedRequestError, 1),
    ("401", [httpx.Response(401, json={"code": 401, "message": "bad token"})], AuthenticationError, 1),
    ("403", [httpx.Response(403, text="Forbidden")], AuthenticationError, 1),
]


@pytest.mark.parametrize(("case", "replies", "error", "sent"), NOT_RETRIED, ids=[c[0] for c in NOT_RETRIED])
def test_where_a_task_may_exist_or_retrying_cannot_help_one_request_is_sent(
    mode: str, sleeps: Sleeps, case: str, replies: list[Any], error: type[HiDreamError], sent: int
) -> None:
    script = Script(*replies, ok())  # a retry would have succeeded: proof it was not made
    with pytest.raises(error) as raised:
        submit(mode, script)
    assert script.sent == sent
    assert sleeps.waits == []
    if not isinstance(raised.value, APIConnectionError):
        assert raised.value.http_status == replies[0].status_code


def test_code_not_zero_carries_the_envelope_fields(mode: str) -> None:
    for status in (200, 400):
        with pytest.raises(RejectedRequestError) as raised:
            submit(mode, Script(httpx.Response(status, json=REJECTED)))
        assert (raised.value.code, raised.value.request_id, raised.value.http_status) == (
            1001,
            "rej-1",
            status,
        )
        assert raised.value.message == REJECTED["message"]


def test_html_502_is_a_server_error_and_malformed_and_quotes_the_page(mode: str) -> None:
    with pytest.raises(ServerError) as raised:
        submit(mode, Script(httpx.Response(502, html=HTML_502)))
    assert isinstance(raised.value, MalformedResponseError)
    assert "502 Bad Gateway" in str(raised.value)
    assert raised.value.code is None


def test_truncated_json_is_malformed_not_a_decode_traceback(mode: str) -> None:
    with pytest.raises(MalformedResponseError, match="not JSON") as raised:
        submit(mode, Script(httpx.Response(200, content=TRUNCATED)))
    assert not isinstance(raised.value, ServerError)
    assert raised.value.__cause__ is None  # no JSONDecodeError chained into the user's traceback


def test_read_timeout_says_the_request_may_have_arrived(mode: str) -> None:
    with pytest.raises(APITimeoutError) as raised:
        submit(mode, Script(read_timeout))
    assert raised.value.phase == "read"
    assert raised.value.request_sent is True


def test_429_with_retry_after_waits_that_long_then_succeeds(mode: str, sleeps: Sleeps) -> None:
    script = Script(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"code": 429, "message": "slow"}), ok()
    )
    task = submit(mode, script)
    assert task.task_id == ACCEPTED["result"]["task_id"]  # type: ignore[index]
    assert script.sent == 2
    assert len(sleeps.waits) == 1
    assert sleeps.waits[0] >= 7  # at least what the server asked for


def test_429_without_retry_after_backs_off_exponentially_until_attempts_run_out(
    mode: str, sleeps: Sleeps
) -> None:
    script = Script(httpx.Response(429, text="Too Many Requests"))
    policy = RetryPolicy(max_attempts=4, initial_backoff=1.0, max_backoff=3.0, jitter=0.5)
    with pytest.raises(RateLimitError) as raised:
        submit(mode, script, retry=policy)
    assert raised.value.retry_after is None
    assert raised.value.http_status == 429
    assert script.sent == 4
    first, second, third = sleeps.waits
    assert 1.0 <= first <= 1.5
    assert 2.0 <= second <= 2.5
    assert third == 3.0  # capped at max_backoff, jitter included


def test_retry_after_longer_than_the_time_budget_ends_the_call_at_once(mode: str, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}), ok())
    with pytest.raises(RateLimitError) as raised:
        submit(mode, script, retry=RetryPolicy(max_total_seconds=60))
    assert raised.value.retry_after == 120
    assert script.sent == 1
    assert sleeps.waits == []


def test_the_total_time_budget_bounds_the_retries(mode: str, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(429))
    policy = RetryPolicy(max_attempts=10, max_total_seconds=10, initial_backoff=4, max_backoff=100, jitter=0)
    with pytest.raises(RateLimitError):
        submit(mode, script, retry=policy)
    # waits 4 and 8 fit in 10 s; the next one (16) would not, so the third failure is final
    assert sleeps.waits == pytest.approx([4, 8])
    assert script.sent == 3


def test_connection_refused_is_retried_because_nothing_was_sent(mode: str, sleeps: Sleeps) -> None:
    script = Script(connect_refused, ok())
    assert submit(mode, script).task_id
    assert script.sent == 2
    assert len(sleeps.waits) == 1


def test_connection_refused_every_time_stops_after_max_attempts(mode: str, sleeps: Sleeps) -> None:
    script = Script(connect_refused)
    with pytest.raises(APIConnectionError) as raised:
        submit(mode, script)
    assert raised.value.request_sent is False
    assert "Connection refused" in str(raised.value)
    assert script.sent == 3


def test_connect_timeout_is_retried_like_a_refused_connection(mode: str, sleeps: Sleeps) -> None:
    script = Script(connect_timeout)
    with pytest.raises(APITimeoutError) as raised:
        submit(mode, script)
    assert (raised.value.phase, raised.value.request_sent) == ("connect", False)
    assert script.sent == 3


@pytest.mark.parametrize(
    ("reply", "policy"),
    [
        (read_timeout, RetryPolicy(retry_timeouts=True)),
        (server_disconnected, RetryPolicy(retry_timeouts=True)),
        (httpx.Response(500, json={"code": 500, "message": "oops"}), RetryPolicy(retry_server_errors=True)),
        (httpx.Response(503, text="Service Unavailable"), RetryPolicy(retry_server_errors=True)),
        (httpx.Response(502, html=HTML_502), RetryPolicy(retry_server_errors=True)),
    ],
    ids=["read-timeout", "disconnected", "500", "503", "html-502"],
)
def test_timeouts_and_5xx_are_retried_only_when_opted_in(
    mode: str, sleeps: Sleeps, reply: Any, policy: RetryPolicy
) -> None:
    failing = Script(reply)
    with pytest.raises(HiDreamError):
        submit(mode, failing, retry=policy)
    assert failing.sent == 3
    recovering = Script(reply, ok())
    assert submit(mode, recovering, retry=policy).task_id
    assert recovering.sent == 2


def test_one_opt_in_does_not_switch_on_the_other(mode: str, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(500))
    with pytest.raises(ServerError):
        submit(mode, script, retry=RetryPolicy(retry_timeouts=True))
    assert script.sent == 1
    script = Script(read_timeout)
    with pytest.raises(APITimeoutError):
        submit(mode, script, retry=RetryPolicy(retry_server_errors=True))
    assert script.sent == 1


def test_503_retry_after_is_honoured_when_5xx_retries_are_on(mode: str, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "4"}), ok())
    submit(mode, script, retry=RetryPolicy(retry_server_errors=True))
    assert script.sent == 2
    assert sleeps.waits[0] >= 4


def test_an_explicit_not_processed_code_is_retried_when_listed(mode: str, sleeps: Sleeps) -> None:
    busy = {"code": 2002, "message": "queue full, not processed", "request_id": "b"}
    script = Script(httpx.Response(200, json=busy), ok())
    assert submit(mode, script, retry=RetryPolicy(retry_codes=frozenset({2002}))).task_id
    assert script.sent == 2
    unlisted = Script(httpx.Response(200, json=busy), ok())
    with pytest.raises(RejectedRequestError):
        submit(mode, unlisted)
    assert unlisted.sent == 1


@pytest.mark.parametrize("reply", [httpx.Response(429), connect_refused], ids=["429", "connection-refused"])
def test_retries_switched_off_send_exactly_once(mode: str, sleeps: Sleeps, reply: Any) -> None:
    script = Script(reply, ok())
    with pytest.raises(HiDreamError):
        submit(mode, script, retry=RetryPolicy.disabled())
    assert script.sent == 1
    assert sleeps.waits == []


def test_every_retry_sends_the_same_request(mode: str, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(429), httpx.Response(429), ok())
    submit(mode, script, request_id="mine-1")
    assert script.sent == 3
    assert all(r.content == script.requests[0].content for r in script.requests)
    assert script.body()["request_id"] == "mine-1"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"code": 0, "message": "Success", "request_id": "r"}, "no result"),
        (
            {
                "code": 0,
                "message": "Success",
                "request_id": "r",
                "result": {"taskId": "x", "sub_task_ids": []},
            },
            "renamed",
        ),
        (
            {"code": 0, "message": "ok", "request_id": "r", "result": {"task_id": "x", "sub_task_ids": "y"}},
            "retyped",
        ),
        ({"code": "0", "message": "Success", "request_id": "r", "result": {}}, "code as string"),
        ([1, 2, 3], "not an object"),
        ({"message": "no code"}, "no code"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_an_envelope_that_breaks_the_spec_is_malformed(mode: str, body: Any, why: str) -> None:
    script = Script(httpx.Response(200, json=body))
    with pytest.raises(MalformedResponseError):
        submit(mode, script)
    assert script.sent == 1


def test_code_zero_with_a_4xx_status_is_malformed(mode: str) -> None:
    with pytest.raises(MalformedResponseError, match="non-2xx"):
        submit(mode, Script(httpx.Response(404, json=ACCEPTED)))


def test_an_empty_or_html_4xx_is_malformed_and_names_the_status(mode: str) -> None:
    with pytest.raises(MalformedResponseError, match="HTTP 404") as raised:
        submit(mode, Script(httpx.Response(404, html="<h1>Not Found</h1>")))
    assert raised.value.http_status == 404
    with pytest.raises(MalformedResponseError, match="empty"):
        submit(mode, Script(httpx.Response(400)))
