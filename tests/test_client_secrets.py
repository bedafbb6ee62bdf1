"""The token never appears in a repr, an error message, a traceback or a log line; request ids do in logs."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import anyio
import httpx
import pytest

from hidream import REDACTED, AsyncHiDream, HiDream, HiDreamError, RetryPolicy
from tests.doubles.http import ACCEPTED, IMAGE_URL, TOKEN, Script, async_transport, ok, sync_transport

ECHOED = f"token {TOKEN} is not valid"  # a careless server that repeats the token back

FAULTS: list[Any] = [
    httpx.Response(401, json={"code": 401, "message": ECHOED, "request_id": "r-401"}),
    httpx.Response(200, json={"code": 1001, "message": ECHOED, "request_id": "r-1001"}),
    httpx.Response(400, json={"code": 1001, "message": ECHOED}),
    httpx.Response(429, json={"code": 429, "message": ECHOED}),
    httpx.Response(502, html=f"<html><body>Bad Gateway for Bearer {TOKEN}</body></html>"),
    httpx.Response(200, content=f'{{"code": 0, "message": "{TOKEN}'.encode()),
    httpx.Response(200, json={"code": 0, "message": "Success", "request_id": "r", "result": {TOKEN: 1}}),
    lambda request: httpx.ConnectError("[Errno 111] Connection refused", request=request),
    lambda request: httpx.ReadTimeout("timed out", request=request),
]


def everything_said_about(error: BaseException) -> str:
    """All a user could see of an error: str, repr, attributes, the traceback with its chain and locals."""
    parts = [str(error), repr(error), repr(vars(error))]
    parts += traceback.format_exception(error)
    parts += traceback.TracebackException.from_exception(error, capture_locals=True).format()
    return "".join(parts)


def test_reprs_do_not_show_the_token() -> None:
    client = HiDream(token=TOKEN)
    async_client = AsyncHiDream(token=TOKEN)
    for text in (repr(client), str(client), repr(async_client), repr(vars(client)), repr(vars(client._core))):
        assert TOKEN not in text
    assert f"token=Secret('{REDACTED}')" in repr(client)
    assert f"token=Secret('{REDACTED}')" in repr(async_client)
    client.close()


@pytest.mark.parametrize("fault", FAULTS)
def test_errors_and_logs_never_show_the_token(
    fault: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hidream._retry._sleep", lambda seconds: None)
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's
    policy = RetryPolicy(max_attempts=2, retry_timeouts=True, retry_server_errors=True)
    client = HiDream(token=TOKEN, retry=policy, http_client=sync_transport(Script(fault)))
    with client, pytest.raises(HiDreamError) as raised:
        client.upscale.submit(IMAGE_URL)
    said = everything_said_about(raised.value)
    assert TOKEN not in said
    assert TOKEN not in caplog.text
    assert caplog.records  # something was logged, so the check above checked something


def test_a_token_echoed_by_the_server_is_redacted_not_dropped() -> None:
    script = Script(httpx.Response(401, json={"code": 401, "message": ECHOED}))
    with (
        HiDream(token=TOKEN, http_client=sync_transport(script)) as client,
        pytest.raises(HiDreamError) as raised,
    ):
        client.upscale.submit(IMAGE_URL)
    assert raised.value.message == f"token {REDACTED} is not valid"


def test_async_errors_and_logs_never_show_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def run() -> HiDreamError:
        script = Script(FAULTS[0])
        async with AsyncHiDream(token=TOKEN, http_client=async_transport(script)) as client:
            try:
                await client.upscale.submit(IMAGE_URL)
            except HiDreamError as error:
                return error
        raise AssertionError("no error raised")

    error = anyio.run(run)
    assert TOKEN not in everything_said_about(error)
    assert TOKEN not in caplog.text


def test_each_request_is_logged_with_its_request_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hidream")
    rejected = {"code": 1001, "message": "no", "request_id": "rid-rejected"}
    script = Script(ok(), httpx.Response(200, json=rejected))
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        client.upscale.submit(IMAGE_URL)
        with pytest.raises(HiDreamError):
            client.upscale.submit(IMAGE_URL)
    lines = [r.getMessage() for r in caplog.records if r.name == "hidream"]
    assert any(
        f"request_id={ACCEPTED['request_id']}" in line and "HTTP 200, code 0" in line for line in lines
    )
    assert any("request_id=rid-rejected" in line and "RejectedRequestError" in line for line in lines)


def test_retries_are_logged_as_warnings(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hidream._retry._sleep", lambda seconds: None)
    caplog.set_level(logging.WARNING, logger="hidream")
    script = Script(httpx.Response(429, json={"code": 429, "message": "slow", "request_id": "rid-429"}), ok())
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        client.upscale.submit(IMAGE_URL)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "attempt 1/3 failed with RateLimitError (request_id=rid-429); retrying in" in record.getMessage()
