"""The token never appears, in any form (raw, escaped, percent-encoded, base64, `Bearer …`), in a repr, an
error message or its args, a traceback (with locals, chained or not) or a log record; request ids do."""

from __future__ import annotations

import base64
import json
import logging
import traceback
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest

from hidream import (
    REDACTED,
    APITimeoutError,
    AsyncHiDream,
    HiDream,
    HiDreamError,
    InvalidInputError,
    RetryPolicy,
)
from tests.doubles.http import (
    ACCEPTED,
    IMAGE_URL,
    TOKEN,
    HostileServer,
    Received,
    Script,
    answer,
    async_transport,
    ok,
    record_sleeps,
    sync_transport,
)

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


# --- the token in no form (issue 15) ------------------------------------------------------------

# A token with characters that each encoding changes, so every form below differs from the others.
ODD_TOKEN = "tok-ODDSECRET/0123+45&67="
FORMS = {
    "raw": ODD_TOKEN,
    "bearer": f"Bearer {ODD_TOKEN}",
    "percent": quote(ODD_TOKEN, safe=""),
    "percent-lower": quote(ODD_TOKEN, safe="").replace("%2F", "%2f").replace("%2B", "%2b"),
    "percent-path": quote(ODD_TOKEN, safe="/"),
    "json-escaped": ODD_TOKEN.replace("/", "\\/"),
    "html": ODD_TOKEN.replace("&", "&amp;"),
    "base64": base64.b64encode(ODD_TOKEN.encode()).decode(),
    "base64url": base64.urlsafe_b64encode(ODD_TOKEN.encode()).decode(),
    "base64-bearer": base64.b64encode(f"Bearer {ODD_TOKEN}".encode()).decode(),
    "basic-auth": base64.b64encode(f"user:{ODD_TOKEN}".encode()).decode(),
    "bytes-repr": repr(f"Bearer {ODD_TOKEN}".encode()),
}


def said_in_full(error: BaseException) -> str:
    """`everything_said_about`, plus the args and every exception chained in any way, shown or not."""
    parts = [everything_said_about(error), repr(error.args)]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            parts.append(said_in_full(linked))
    return "".join(parts)


def assert_no_form_in(text: str, forms: dict[str, str] = FORMS) -> None:
    leaked = [name for name, form in forms.items() if form in text]
    assert not leaked, f"the token leaked as {leaked}"


def echo(form: str) -> list[Any]:
    """Ways a server or a proxy may hand a form of the token back."""
    return [
        httpx.Response(401, json={"code": 401, "message": f"bad token {form}", "request_id": "r"}),
        httpx.Response(200, json={"code": 1001, "message": f"{form}", "request_id": "r"}),
        httpx.Response(502, html=f"<pre>Authorization: {form}</pre>"),
        httpx.Response(200, content=b'{"code": 0, "message": "' + form.encode() + b'"'),
        httpx.Response(302, headers={"Location": f"https://elsewhere.test/?auth={form}"}),
        httpx.Response(200, json={"code": 0, "message": "Success", "request_id": "r", "result": {"t": form}}),
        lambda request: httpx.ConnectError(f"proxy refused {form}", request=request),
        lambda request: httpx.ReadTimeout(f"timed out sending {form}", request=request),
    ]


@pytest.mark.parametrize("form", sorted(FORMS))
def test_no_form_of_the_token_survives_in_errors_or_logs(
    form: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hidream._retry._sleep", lambda seconds: None)
    caplog.set_level(logging.DEBUG)
    policy = RetryPolicy(max_attempts=2, retry_timeouts=True, retry_server_errors=True)
    for reply in echo(FORMS[form]):
        with (
            HiDream(token=ODD_TOKEN, retry=policy, http_client=sync_transport(Script(reply))) as client,
            pytest.raises(HiDreamError) as raised,
        ):
            client.upscale.submit(IMAGE_URL)
        assert_no_form_in(said_in_full(raised.value))
    assert_no_form_in(caplog.text)
    assert_no_form_in(" ".join(str(record.args) for record in caplog.records))


def test_async_no_form_of_the_token_survives(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_sleeps(monkeypatch)
    caplog.set_level(logging.DEBUG)

    async def run(reply: Any) -> HiDreamError:
        async with AsyncHiDream(token=ODD_TOKEN, http_client=async_transport(Script(reply))) as client:
            try:
                await client.upscale.submit(IMAGE_URL)
            except HiDreamError as error:
                return error
        raise AssertionError("no error raised")

    for form in FORMS.values():
        for reply in echo(form):
            assert_no_form_in(said_in_full(anyio.run(run, reply)))
    assert_no_form_in(caplog.text)


def echo_authorization(server: HostileServer, connection: Any, request: Received) -> None:
    """A careless gateway: it quotes the Authorization header it got, raw and as base64, in a 401."""
    header = request.headers["authorization"]
    message = f"refused {header} ({base64.b64encode(header.encode()).decode()})"
    server.send(connection, answer(401, json.dumps({"code": 401, "message": message}).encode()))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_over_real_sockets_neither_errors_nor_any_logger_show_the_token(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's loggers too
    with HostileServer(echo_authorization) as server:
        if mode == "sync":
            with (
                HiDream(token=ODD_TOKEN, base_url=server.url) as client,
                pytest.raises(HiDreamError) as raised,
            ):
                client.upscale.submit(IMAGE_URL)
        else:

            async def run() -> None:
                async with AsyncHiDream(token=ODD_TOKEN, base_url=server.url) as client:
                    await client.upscale.submit(IMAGE_URL)

            with pytest.raises(HiDreamError) as raised:
                anyio.run(run)
        assert server.received[0].headers["authorization"] == f"Bearer {ODD_TOKEN}"  # it was sent, once
    assert f"refused Bearer {REDACTED}" in raised.value.message
    assert_no_form_in(said_in_full(raised.value))
    assert_no_form_in(caplog.text)


def raised_by(call: Any) -> HiDreamError:
    """The error `call()` raises, caught in this frame: the test's own locals stay out of its traceback."""
    try:
        call()
    except HiDreamError as error:
        return error
    raise AssertionError("no error raised")


def submit_to(mode: str, base_url: str, **settings: Any) -> HiDreamError:
    """The error one submit raises, caught here, so no local of the test holds the token."""

    def sync() -> None:
        with HiDream(token=ODD_TOKEN, base_url=base_url, **settings) as client:
            client.upscale.submit(IMAGE_URL)

    async def run() -> None:
        async with AsyncHiDream(token=ODD_TOKEN, base_url=base_url, **settings) as client:
            await client.upscale.submit(IMAGE_URL)

    return raised_by(sync if mode == "sync" else lambda: anyio.run(run))


def never_answer(server: HostileServer, connection: Any, request: Received) -> None:
    server.stopping.wait(30)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_transport_failure_chains_no_exception_whose_frames_hold_the_headers(mode: str) -> None:
    with HostileServer(never_answer) as server:
        error = submit_to(mode, server.url, timeout=0.2, retry=RetryPolicy.disabled())
    assert isinstance(error, APITimeoutError)
    assert (error.__cause__, error.__context__) == (None, None)
    assert_no_form_in(said_in_full(error))


BAD_TOKENS = {
    "line break": "tok-BAD\r\nSECRET",
    "inner newline": "tok-BAD\nSECRET",
    "nul": "tok-BAD\x00SECRET",
    "smart quote": "\u201ctok-BADSECRET\u201d",
    "non-ascii": "tok-BADSËCRET",
    "inner space": "tok-BAD SECRET",
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_a_token_the_wire_cannot_carry_is_refused_before_sending_and_never_shown(name: str) -> None:
    script = Script(ok())
    with pytest.raises(HiDreamError) as raised:
        HiDream(token=BAD_TOKENS[name], http_client=sync_transport(script))  # no local of ours holds it
    said = said_in_full(raised.value)
    token = BAD_TOKENS[name]
    for shown in (token, repr(token)[1:-1], token.encode("unicode_escape").decode(), "BADS", "SECRET"):
        assert shown not in said
    assert script.sent == 0
    assert isinstance(raised.value, InvalidInputError)
    assert raised.value.field == "token"


def test_a_trailing_newline_from_a_token_file_is_stripped_not_refused() -> None:
    script = Script(ok())
    with HiDream(token=TOKEN + "\n", http_client=sync_transport(script)) as client:
        client.upscale.submit(IMAGE_URL)
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "arguments",
    [{"image": TOKEN}, {"notify_url": f"ftp://hooks.test/{TOKEN}"}, {"request_id": 7, "user_id": TOKEN}],
    ids=["image", "notify_url", "user_id"],
)
def test_a_token_pasted_into_another_argument_is_not_echoed(arguments: dict[str, Any]) -> None:
    arguments = {"image": IMAGE_URL, **arguments}
    image = arguments.pop("image")
    with HiDream(token=TOKEN, http_client=sync_transport(Script(ok()))) as client:
        error = raised_by(lambda: client.upscale.submit(image, **arguments))
    assert isinstance(error, InvalidInputError)
    # The message and args; the argument itself is the caller's, in the frames of the call as passed.
    assert TOKEN not in str(error) + repr(error) + repr(error.args)


@pytest.mark.parametrize("source", ["argument", "environment"])
def test_a_password_in_the_base_url_is_refused_and_never_shown(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIDREAM_API_BASE_URL", "https://user:hunter2-PASSWORD@gateway.test/api")
    from_argument = source == "argument"
    error = raised_by(
        lambda: HiDream(
            token=TOKEN, base_url="https://user:hunter2-PASSWORD@gw.test/a" if from_argument else None
        )
    )
    assert isinstance(error, InvalidInputError)
    assert error.field == "base_url"
    assert "credentials" in error.message
    assert "PASSWORD" not in str(error) + repr(error) + repr(error.args)
