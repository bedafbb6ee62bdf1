"""A second endpoint of the gateway needs no new envelope, error or retry code.

The spec is copied with one more operation (a made-up "get task result" with the same envelope),
a client is generated from it into a temporary folder with the pinned openapi-python-client, and the
generated operation is called through `HiDream.call` / `AsyncHiDream.call` with one `Endpoint(...)`
line: success parses into the generated model, and errors and retries behave as for the submit.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import anyio
import httpx
import pytest
import yaml

from hidream import (
    AsyncHiDream,
    Endpoint,
    HiDream,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
)
from hidream_contract.project import ROOT
from hidream_contract.spec import load, submit
from tests.doubles.http import TOKEN, Script, Sleeps, async_transport, record_sleeps, sync_transport

PACKAGE = "second_op_client"
SUBMIT_PATH = submit().path
RESULT_PATH = SUBMIT_PATH + "/{task_id}"
RESULT = {
    "code": 0,
    "message": "Success",
    "request_id": "rid-result",
    "result": {"task_id": "t-1", "status": 1, "images": ["https://cdn.example.test/out.png"]},
}

SECOND_OPERATION: dict[str, Any] = {
    "get": {
        "tags": ["upscale"],
        "operationId": "getUpscaleTaskResult",
        "summary": "Get an upscale task's result (made up for this test) / 查询任务结果(测试用)",
        "description": "Test only. / 仅供测试。",
        "security": [{"bearerAuth": []}],
        "parameters": [
            {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"$ref": "#/components/parameters/AcceptLanguage"},
        ],
        "responses": {
            "200": {
                "description": "The envelope. / 响应包络。",
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/TaskResultEnvelope"},
                                {"$ref": "#/components/schemas/ErrorEnvelope"},
                            ]
                        }
                    }
                },
            },
            "401": {"$ref": "#/components/responses/Unauthorized"},
        },
    }
}

TASK_RESULT_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "description": "A task's result. / 任务结果。",
    "required": ["code", "message", "request_id", "result"],
    "properties": {
        "code": {"const": 0},
        "message": {"type": "string"},
        "request_id": {"type": "string"},
        "result": {
            "type": "object",
            "required": ["task_id", "status", "images"],
            "properties": {
                "task_id": {"type": "string"},
                "status": {"type": "integer"},
                "images": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """The two-operation client, generated and imported; removed from sys.modules afterwards."""
    work = tmp_path_factory.mktemp("second-op")
    spec = load()
    spec["paths"][RESULT_PATH] = SECOND_OPERATION
    spec["components"]["schemas"]["TaskResultEnvelope"] = TASK_RESULT_ENVELOPE
    (work / "spec.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load((ROOT / "config" / "openapi-python-client.yaml").read_text(encoding="utf-8"))
    config.update(package_name_override=PACKAGE, project_name_override="second-op-client", post_hooks=[])
    (work / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    generator = Path(sys.executable).parent / "openapi-python-client"
    subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            "spec.yaml",
            "--config",
            "config.yaml",
            "--output-path",
            "out",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(work / "out"))
    try:
        yield SimpleNamespace(
            result_op=importlib.import_module(f"{PACKAGE}.api.upscale.get_upscale_task_result"),
            submit_op=importlib.import_module(f"{PACKAGE}.api.upscale.submit_upscale_task"),
            models=importlib.import_module(f"{PACKAGE}.models"),
        )
    finally:
        sys.path.remove(str(work / "out"))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    return record_sleeps(monkeypatch)


def result_endpoint(generated: SimpleNamespace) -> Endpoint[Any]:
    # The one line a new operation needs: the generated module and its success model.
    return Endpoint(generated.result_op, generated.models.TaskResultEnvelope.from_dict)


def test_the_new_operation_parses_into_its_generated_model(generated: SimpleNamespace) -> None:
    script = Script(httpx.Response(200, json=RESULT))
    with HiDream(token=TOKEN, base_url="https://gw.test/v3", http_client=sync_transport(script)) as client:
        envelope = client.call(result_endpoint(generated), task_id="t-1", x_accept_language="en")
    assert isinstance(envelope, generated.models.TaskResultEnvelope)
    assert envelope.result.images == ["https://cdn.example.test/out.png"]
    assert envelope.request_id == "rid-result"
    request = script.requests[0]
    assert (request.method, str(request.url)) == ("GET", "https://gw.test/v3" + SUBMIT_PATH + "/t-1")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-accept-language"] == "en"


@pytest.mark.parametrize(
    ("reply", "error", "sent"),
    [
        (httpx.Response(200, json={"code": 3003, "message": "no such task"}), RejectedRequestError, 1),
        (httpx.Response(502, html="<h1>502 Bad Gateway</h1>"), MalformedServerError, 1),
        (
            httpx.Response(200, json={"code": 0, "message": "ok", "request_id": "r"}),
            MalformedResponseError,
            1,
        ),
        (httpx.Response(429, headers={"Retry-After": "1"}), RateLimitError, 3),
    ],
    ids=["rejected", "html-502", "no-result", "429"],
)
def test_the_new_operation_gets_the_same_errors_and_retries(
    generated: SimpleNamespace, sleeps: Sleeps, reply: httpx.Response, error: type[Exception], sent: int
) -> None:
    script = Script(reply)
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client, pytest.raises(error):
        client.call(result_endpoint(generated), task_id="t-1")
    assert script.sent == sent
    assert len(sleeps.waits) == sent - 1


def test_the_new_operation_works_async_and_retries_a_refused_connection(
    generated: SimpleNamespace, sleeps: Sleeps
) -> None:
    def refused(request: httpx.Request) -> Exception:
        return httpx.ConnectError("[Errno 111] Connection refused", request=request)

    script = Script(refused, httpx.Response(200, json=RESULT))

    async def run() -> Any:
        async with AsyncHiDream(token=TOKEN, http_client=async_transport(script)) as client:
            return await client.call(result_endpoint(generated), task_id="t-1")

    assert anyio.run(run).result.task_id == "t-1"
    assert script.sent == 2


def test_both_operations_of_the_regenerated_client_share_the_machinery(generated: SimpleNamespace) -> None:
    models: ModuleType = generated.models
    submit = Endpoint(generated.submit_op, models.SubmitUpscaleTaskOutcome.from_dict)
    accepted = {
        "code": 0,
        "message": "ok",
        "request_id": "r",
        "result": {"task_id": "t", "sub_task_ids": ["s"]},
    }
    script = Script(httpx.Response(200, json=accepted), httpx.Response(200, json=RESULT))
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        body = models.UpscaleRequest(
            image="https://cdn.example.test/in.png", upsale_ratio=models.UpsaleRatio.X4
        )
        created = client.call(submit, body=body)
        result = client.call(result_endpoint(generated), task_id=created.result.task_id)
    assert created.result.task_id == "t"
    assert result.result.status == 1
    assert [r.url.path for r in script.requests] == [
        "/api-pub/gw/v3" + SUBMIT_PATH,
        "/api-pub/gw/v3" + SUBMIT_PATH + "/t",
    ]
