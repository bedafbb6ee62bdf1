"""A second endpoint of the gateway needs no new envelope, error or retry code.

The gateway's second operation is real now: the result read, `getUpscaleTaskResult` (issue 13). Its
generated module is called through `HiDream.call` / `AsyncHiDream.call` with one `Endpoint(...)` line:
success parses into the generated model, and errors and retries behave as for the submit. The
machinery (`_core`, `_envelope`, `_retry`) names neither operation, and the friendly
`client.upscale.result()` is that `Endpoint` line plus the mapping to `TaskResult` (`_results.py`).
"""

from __future__ import annotations

import inspect
from typing import Any

import anyio
import httpx
import pytest
from hidream_api_client.api.upscale import get_upscale_task_result, submit_upscale_task
from hidream_api_client.models import (
    GetUpscaleTaskResultOutcome,
    SubmitUpscaleTaskOutcome,
    SubTaskResult,
    UpsaleRatio,
    UpscaleRequest,
    UpscaleTask,
    UpscaleTaskResult,
)

import hidream._core
import hidream._envelope
import hidream._retry
from hidream import (
    AsyncHiDream,
    Endpoint,
    HiDream,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
)
from hidream._results import RESULT as FRIENDLY_RESULT
from hidream_contract.spec import result_read, submit
from tests.doubles.http import TOKEN, Script, Sleeps, async_transport, record_sleeps, sync_transport

ANSWER = {
    "code": 0,
    "message": "Success",
    "request_id": "rid-result",
    "result": {
        "sub_task_results": [
            {"sub_task_id": "s-1", "task_status": 1, "image": "https://cdn.example.test/out.png"}
        ]
    },
}
# The one line a new operation needs: the generated module and its success model.
RESULT = Endpoint(get_upscale_task_result, GetUpscaleTaskResultOutcome.from_dict)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    return record_sleeps(monkeypatch)


def test_the_result_read_parses_into_its_generated_model() -> None:
    script = Script(httpx.Response(200, json=ANSWER))
    with HiDream(token=TOKEN, base_url="https://gw.test/v3", http_client=sync_transport(script)) as client:
        outcome = client.call(RESULT, task_id="t-1")
    assert isinstance(outcome, GetUpscaleTaskResultOutcome)
    assert isinstance(outcome.result, UpscaleTaskResult)
    assert isinstance(outcome.result.sub_task_results, list)
    (sub,) = outcome.result.sub_task_results
    assert isinstance(sub, SubTaskResult)
    assert (sub.task_status, sub.image) == (1, "https://cdn.example.test/out.png")
    assert outcome.request_id == "rid-result"
    request = script.requests[0]
    assert request.method == result_read().method
    assert str(request.url) == "https://gw.test/v3" + result_read().path + "?task_id=t-1"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("reply", "error", "sent"),
    [
        (httpx.Response(200, json={"code": 1004, "message": "no such task"}), RejectedRequestError, 1),
        (httpx.Response(502, html="<h1>502 Bad Gateway</h1>"), MalformedServerError, 1),
        (httpx.Response(200, json={"code": 0, "request_id": "r"}), MalformedResponseError, 1),
        (httpx.Response(429, headers={"Retry-After": "1"}), RateLimitError, 3),
    ],
    ids=["rejected", "html-502", "no-message", "429"],
)
def test_the_result_read_gets_the_same_errors_and_retries(
    sleeps: Sleeps, reply: httpx.Response, error: type[Exception], sent: int
) -> None:
    script = Script(reply)
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client, pytest.raises(error):
        client.call(RESULT, task_id="t-1")
    assert script.sent == sent
    assert len(sleeps.waits) == sent - 1


def test_the_result_read_works_async_and_retries_a_refused_connection(sleeps: Sleeps) -> None:
    def refused(request: httpx.Request) -> Exception:
        return httpx.ConnectError("[Errno 111] Connection refused", request=request)

    script = Script(refused, httpx.Response(200, json=ANSWER))

    async def run() -> Any:
        async with AsyncHiDream(token=TOKEN, http_client=async_transport(script)) as client:
            return await client.call(RESULT, task_id="t-1")

    assert anyio.run(run).result.sub_task_results[0].sub_task_id == "s-1"
    assert script.sent == 2


def test_both_operations_share_the_machinery() -> None:
    submit_endpoint = Endpoint(submit_upscale_task, SubmitUpscaleTaskOutcome.from_dict)
    accepted = {
        "code": 0,
        "message": "ok",
        "request_id": "r",
        "result": {"task_id": "t", "sub_task_ids": ["s"]},
    }
    script = Script(httpx.Response(200, json=accepted), httpx.Response(200, json=ANSWER))
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        body = UpscaleRequest(image="https://cdn.example.test/in.png", upsale_ratio=UpsaleRatio.X4)
        created = client.call(submit_endpoint, body=body)
        assert isinstance(created.result, UpscaleTask)
        read = client.call(RESULT, task_id=created.result.task_id)
    assert isinstance(read.result, UpscaleTaskResult)
    assert isinstance(read.result.sub_task_results, list)
    assert read.result.sub_task_results[0].task_status == 1
    assert [(r.method, r.url.path, r.url.params.get("task_id")) for r in script.requests] == [
        (submit().method, "/api-pub/gw/v3" + submit().path, None),
        (result_read().method, "/api-pub/gw/v3" + result_read().path, "t"),
    ]


def test_the_friendly_read_is_that_one_line_too() -> None:
    assert FRIENDLY_RESULT.operation is get_upscale_task_result


@pytest.mark.parametrize("module", [hidream._core, hidream._envelope, hidream._retry])
def test_the_machinery_names_no_operation(module: Any) -> None:
    source = inspect.getsource(module)
    for name in ("submit_upscale_task", "get_upscale_task_result", "task_id", "sub_task", "upsale_ratio"):
        assert name not in source, f"{module.__name__} knows about {name}"
