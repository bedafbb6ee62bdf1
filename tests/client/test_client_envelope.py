"""The envelope reader is generic: any gateway answer, of any operation, maps to data or a typed error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from hidream import (
    REDACTED,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    HiDreamError,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
)
from hidream._core import Secret, _transport_error
from hidream._envelope import parse_retry_after, read_envelope


def answer(
    status: int, body: Any = None, *, path: str = "/any/other/operation", **kwargs: Any
) -> httpx.Response:
    if body is not None:
        kwargs["json"] = body
    return httpx.Response(status, request=httpx.Request("GET", "https://gw.test" + path), **kwargs)


@pytest.mark.parametrize(
    "envelope",
    [
        {"code": 0, "message": "Success", "request_id": "a", "result": {"task_id": "t", "sub_task_ids": []}},
        {"code": 0, "message": "ok", "request_id": "b", "result": {"images": [{"url": "u"}], "status": 1}},
        {"code": 0, "message": "ok", "result": None},
        {"code": 0, "message": "ok", "request_id": "c", "result": [1, 2], "extra": True},
    ],
)
def test_any_code_zero_envelope_comes_back_whole(envelope: dict[str, Any]) -> None:
    assert read_envelope(answer(200, envelope)) == envelope


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (200, {"code": 40001, "message": "bad prompt", "request_id": "x"}, RejectedRequestError, 40001),
        (400, {"code": -1, "message": "bad"}, RejectedRequestError, -1),
        (422, {"code": 9, "message": "unprocessable"}, RejectedRequestError, 9),
        (401, {"code": 401, "message": "no"}, AuthenticationError, 401),
        (403, None, AuthenticationError, None),
        (429, {"code": 429, "message": "slow"}, RateLimitError, 429),
        (500, {"code": 500, "message": "boom"}, ServerError, 500),
        (504, None, MalformedServerError, None),
        (200, None, MalformedResponseError, None),
        (302, None, MalformedResponseError, None),
    ],
)
def test_each_status_and_envelope_maps_to_its_error(
    status: int, body: Any, error: type[HiDreamError], code: int | None
) -> None:
    with pytest.raises(error) as raised:
        read_envelope(answer(status, body))
    assert type(raised.value) is error
    assert raised.value.code == code
    assert raised.value.http_status == status
    if body is not None:
        assert raised.value.message == body["message"]
        assert raised.value.request_id == body.get("request_id")
    else:
        assert "/any/other/operation" in raised.value.message


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b'{"code": 0, "mess', "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'"Success"', "JSON str, not an object"),
        (b'{"code": true, "message": "x"}', "`code` is True"),
        (b'{"code": 0, "message": 5}', "`message` is not a string"),
        (b'{"code": 0, "message": "m", "request_id": 5}', "`request_id` is not a string"),
    ],
)
def test_bodies_that_are_not_the_envelope_say_why(content: bytes, why: str) -> None:
    with pytest.raises(MalformedResponseError) as raised:
        read_envelope(answer(200, content=content))
    assert why in raised.value.message


def test_a_long_body_is_quoted_short() -> None:
    with pytest.raises(MalformedResponseError) as raised:
        read_envelope(answer(200, content=b"<html>" + b"x" * 10_000))
    assert len(raised.value.message) < 400
    assert raised.value.message.endswith("…'")


def test_redaction_applies_to_every_text_taken_from_the_response() -> None:
    secret = Secret("s3cr3t")
    with pytest.raises(RejectedRequestError) as raised:
        read_envelope(answer(200, {"code": 1, "message": "s3cr3t is wrong"}), redact=secret.redact)
    assert raised.value.message == f"{REDACTED} is wrong"
    with pytest.raises(MalformedServerError) as bad_gateway:
        read_envelope(answer(502, content=b"<p>s3cr3t</p>"), redact=secret.redact)
    assert "s3cr3t" not in str(bad_gateway.value)
    assert REDACTED in str(bad_gateway.value)


def test_retry_after_is_read_from_429_and_5xx() -> None:
    with pytest.raises(RateLimitError) as limited:
        read_envelope(answer(429, headers={"Retry-After": "12"}))
    assert limited.value.retry_after == 12
    with pytest.raises(ServerError) as unavailable:
        read_envelope(answer(503, {"code": 503, "message": "later"}, headers={"Retry-After": "3"}))
    assert unavailable.value.retry_after == 3


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("0", 0.0),
        ("2.5", 2.5),
        (" 30 ", 30.0),
        ("-4", 0.0),
        ("Thu, 01 Jan 2026 12:00:20 GMT", 20.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("Thu, 01 Jan 2026 12:01:00 -0000", 60.0),  # a date without a zone is read as UTC
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds_and_dates(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_error_text_carries_the_fields() -> None:
    error = RejectedRequestError("bad image", code=1001, request_id="r-1", http_status=200)
    assert str(error) == "bad image (http_status=200, code=1001, request_id=r-1)"
    assert str(HiDreamError("plain")) == "plain"


@pytest.mark.parametrize(
    ("error", "kind", "phase", "sent"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, None, False),
        (httpx.ConnectTimeout("slow"), APITimeoutError, "connect", False),
        (httpx.PoolTimeout("busy"), APITimeoutError, "pool", False),
        (httpx.ReadTimeout("slow"), APITimeoutError, "read", True),
        (httpx.WriteTimeout("slow"), APITimeoutError, "write", True),
        (httpx.RemoteProtocolError("closed"), APIConnectionError, None, True),
        (httpx.ReadError("reset"), APIConnectionError, None, True),
    ],
)
def test_transport_failures_say_whether_the_request_left(
    error: httpx.TransportError, kind: type[APIConnectionError], phase: str | None, sent: bool
) -> None:
    typed = _transport_error(error, Secret("tok").redact)
    assert type(typed) is kind
    assert typed.request_sent is sent
    assert getattr(typed, "phase", None) == phase


def test_transport_failure_text_is_redacted() -> None:
    typed = _transport_error(httpx.ConnectError("proxy said tok-123"), Secret("tok-123").redact)
    assert "tok-123" not in str(typed)


def test_every_occurrence_of_the_token_is_redacted_wherever_it_stands() -> None:
    # One rule for the client and the live check: a whole-word rule would leave `token=<token>` readable.
    secret = Secret("abc-123456")
    assert secret.redact("xabc-123456 token=abc-123456. Bearer abc-123456") == (
        f"x{REDACTED} token={REDACTED}. Bearer {REDACTED}"
    )
    assert secret.redact("abc-12345 abc-1234567") == f"abc-12345 {REDACTED}7"
    assert Secret("").redact("anything") == "anything"
    dotted = Secret("x.y")
    assert dotted.redact("x.y") == REDACTED
    assert dotted.redact("xzy") == "xzy"  # the token is matched literally, not as a pattern
    assert repr(secret) == str(secret) == f"Secret('{REDACTED}')"
