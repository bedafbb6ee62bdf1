"""Configuration: token and base URL from the environment or arguments, timeouts per client and per call."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

import hidream
from hidream import (
    DEFAULT_TIMEOUT,
    AsyncHiDream,
    AuthenticationError,
    HiDream,
    InvalidInputError,
    RetryPolicy,
)
from hidream._core import shared_ssl_context
from hidream_contract.spec import production_base_url, submit
from tests.doubles.http import IMAGE_URL, TOKEN, Script, async_transport, ok, sync_transport


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIDREAM_API_TOKEN", raising=False)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)


def test_token_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.setenv("HIDREAM_API_BASE_URL", "http://127.0.0.1:9/staging/")
    script = Script(ok())
    with HiDream(http_client=sync_transport(script)) as client:
        assert client.base_url == "http://127.0.0.1:9/staging"
        client.upscale.submit(IMAGE_URL)
    assert str(script.requests[0].url) == "http://127.0.0.1:9/staging" + submit().path
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", "from-env")
    monkeypatch.setenv("HIDREAM_API_BASE_URL", "http://127.0.0.1:9/env")
    script = Script(ok())
    with HiDream(
        token="from-arg", base_url="http://127.0.0.1:9/arg", http_client=sync_transport(script)
    ) as c:
        c.upscale.submit(IMAGE_URL)
    assert script.requests[0].headers["Authorization"] == "Bearer from-arg"
    assert script.requests[0].url.path == "/arg" + submit().path


def test_the_default_base_url_is_the_production_gateway() -> None:
    with HiDream(token=TOKEN) as client:
        assert client.base_url == production_base_url() == hidream.DEFAULT_BASE_URL


@pytest.mark.parametrize("token", [None, "", "   "])
def test_no_token_fails_at_construction_and_says_where_to_put_one(token: str | None) -> None:
    with pytest.raises(AuthenticationError, match="HIDREAM_API_TOKEN"):
        HiDream(token=token)
    with pytest.raises(AuthenticationError, match="token="):
        AsyncHiDream(token=token)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"base_url": "www.hidreamai.com/api"}, "base_url"),
        ({"base_url": "ftp://example.test"}, "base_url"),
        ({"timeout": "30"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"retry": 3}, "retry"),
        ({"language": "en\n"}, "language"),
        ({"default_headers": {"Authorization": "Bearer other"}}, "default_headers"),
        ({"default_headers": {"X-Env": "a\nb"}}, "default_headers['X-Env']"),
    ],
)
def test_bad_client_settings_are_refused_by_name(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        HiDream(token=TOKEN, **arguments)
    assert raised.value.field == field


@pytest.mark.parametrize(
    "changes",
    [
        {"max_attempts": 0},
        {"max_attempts": 1.5},
        {"max_attempts": True},
        {"jitter": -1},
        {"max_backoff": "8"},
    ],
)
def test_bad_retry_policies_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        RetryPolicy(**changes)


def test_retry_policy_copies_and_the_off_switch() -> None:
    policy = RetryPolicy().replace(retry_server_errors=True)
    assert policy.retry_server_errors is True
    assert policy.max_attempts == RetryPolicy().max_attempts
    assert RetryPolicy.disabled().max_attempts == 1
    assert RetryPolicy(retry_codes={7}).retry_codes == frozenset({7})  # type: ignore[arg-type]


def timeouts(script: Script) -> list[dict[str, float | None]]:
    return [request.extensions["timeout"] for request in script.requests]


def test_timeouts_default_per_client_and_per_call() -> None:
    script = Script(ok())
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        client.upscale.submit(IMAGE_URL)
    with HiDream(
        token=TOKEN, timeout=httpx.Timeout(20, connect=2), http_client=sync_transport(script)
    ) as client:
        client.upscale.submit(IMAGE_URL)
        client.upscale.submit(IMAGE_URL, timeout=1.5)
        client.upscale.submit(IMAGE_URL, timeout=None, deadline=None)  # no limit at all
        client.upscale.submit(IMAGE_URL)  # the per-call value did not stick
    assert timeouts(script) == [
        {"connect": 5.0, "read": 30.0, "write": 60.0, "pool": 10.0},
        {"connect": 2, "read": 20, "write": 20, "pool": 20},
        {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5},
        {"connect": None, "read": None, "write": None, "pool": None},
        {"connect": 2, "read": 20, "write": 20, "pool": 20},
    ]
    assert DEFAULT_TIMEOUT.connect != DEFAULT_TIMEOUT.read  # connect and read are set apart by default


def test_async_timeouts_per_call() -> None:
    script = Script(ok())

    async def run() -> None:
        async with AsyncHiDream(token=TOKEN, timeout=9, http_client=async_transport(script)) as client:
            await client.upscale.submit(IMAGE_URL)
            await client.upscale.submit(IMAGE_URL, timeout=httpx.Timeout(4, connect=1))

    anyio.run(run)
    assert [t["read"] for t in timeouts(script)] == [9, 4]
    assert timeouts(script)[1]["connect"] == 1


def test_a_per_call_retry_policy_overrides_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hidream._retry._sleep", lambda seconds: None)
    script = Script(httpx.Response(429))
    with HiDream(
        token=TOKEN, retry=RetryPolicy(max_attempts=5), http_client=sync_transport(script)
    ) as client:
        with pytest.raises(hidream.RateLimitError):
            client.upscale.submit(IMAGE_URL, retry=RetryPolicy(max_attempts=2))
        assert script.sent == 2
        with pytest.raises(hidream.RateLimitError):
            client.upscale.submit(IMAGE_URL)
        assert script.sent == 2 + 5


def test_language_and_extra_headers_on_every_request() -> None:
    script = Script(ok())
    with HiDream(
        token=TOKEN, language="en", default_headers={"X-Env": "staging"}, http_client=sync_transport(script)
    ) as client:
        client.upscale.submit(IMAGE_URL)
        client.upscale.submit(IMAGE_URL, language="zh")
    first, second = script.requests
    assert (first.headers["X-accept-language"], second.headers["X-accept-language"]) == ("en", "zh")
    assert first.headers["X-Env"] == "staging"
    assert first.headers["User-Agent"].startswith("hidream-python/")


def test_clients_share_one_tls_context_and_close_only_their_own_pool() -> None:
    assert shared_ssl_context() is shared_ssl_context()
    mine = HiDream(token=TOKEN)
    mine.close()
    assert mine._core.http.is_closed
    theirs = httpx.Client()
    with HiDream(token=TOKEN, http_client=theirs):
        pass
    assert not theirs.is_closed
    theirs.close()


def test_a_context_created_for_tls_is_the_one_the_pool_uses() -> None:
    # httpx keeps the context on the connection pool; two clients must hold the very same object.
    with HiDream(token=TOKEN) as first, HiDream(token=TOKEN) as second:
        pools = [c._core.http._transport._pool for c in (first, second)]  # type: ignore[attr-defined]
        assert pools[0]._ssl_context is pools[1]._ssl_context is shared_ssl_context()


def test_async_clients_share_it_too() -> None:
    async def run() -> None:
        async with AsyncHiDream(token=TOKEN) as client:
            pool = client._core.http._transport._pool  # type: ignore[attr-defined]
            assert pool._ssl_context is shared_ssl_context()

    anyio.run(run)


def test_the_generated_enums_are_accepted_as_values() -> None:
    from hidream_api_client.models import AcceptLanguage, ModelVersion, UpsaleRatio

    script = Script(ok())
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        client.upscale.submit(
            IMAGE_URL, upsale_ratio=UpsaleRatio.X4, version=ModelVersion.V1, language=AcceptLanguage.EN
        )
    assert script.body()["upsale_ratio"] == 4
    assert script.requests[0].headers["X-accept-language"] == "en"


def test_real_waits_happen_between_attempts_sync_and_async() -> None:
    # Tiny waits, really slept (the other tests record them instead): the sleep functions are wired in.
    policy = RetryPolicy(initial_backoff=0.001, max_backoff=0.001, jitter=0)
    script = Script(httpx.Response(429), ok())
    with HiDream(token=TOKEN, retry=policy, http_client=sync_transport(script)) as client:
        client.upscale.submit(IMAGE_URL)
    assert script.sent == 2

    async def run() -> None:
        async with AsyncHiDream(token=TOKEN, retry=policy, http_client=async_transport(script)) as client:
            assert client.base_url == hidream.DEFAULT_BASE_URL
            await client.upscale.submit(IMAGE_URL)

    script.requests.clear()
    script.replies = [httpx.Response(429), ok()]
    anyio.run(run)
    assert script.sent == 2
