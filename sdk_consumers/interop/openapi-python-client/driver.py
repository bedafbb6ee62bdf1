"""Interop driver for our own generated client (openapi-python-client): the generated operation reads
each case's response (a stub transport offline, the Prism mock online) into its typed models."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[1])]

import httpx  # noqa: E402
from common import error, main, ok, prefer, typed  # noqa: E402
from hidream_api_client import AuthenticatedClient  # noqa: E402
from hidream_api_client.api.upscale import get_upscale_task_result, submit_upscale_task  # noqa: E402
from hidream_api_client.models import (  # noqa: E402
    ErrorEnvelope,
    GetUpscaleTaskResultOutcome,
    SubmitUpscaleTaskOutcome,
    UpscaleRequest,
    UpscaleTask,
    UpscaleTaskResult,
)

# Per operation: the 2xx envelope model, its result model, and the generated call.
OPERATIONS: dict[str, tuple[type, type, Any]] = {
    "submitUpscaleTask": (
        SubmitUpscaleTaskOutcome,
        UpscaleTask,
        lambda client, call: submit_upscale_task.sync(
            client=client, body=UpscaleRequest.from_dict(call["body"])
        ),
    ),
    "getUpscaleTaskResult": (
        GetUpscaleTaskResultOutcome,
        UpscaleTaskResult,
        lambda client, call: get_upscale_task_result.sync(client=client, **call["query"]),
    ),
}


def decode(case: dict[str, Any], base_url: str | None, spec_input: dict[str, Any]) -> dict[str, Any]:
    outcome_model, result_model, call = OPERATIONS[case["operation"]]
    token = spec_input["token"]
    if base_url:
        client = AuthenticatedClient(base_url=base_url, token=token, headers={"Prefer": prefer(case)})
    else:

        def answer(request: httpx.Request) -> httpx.Response:
            headers = {"Content-Type": "application/json"}
            return httpx.Response(case["status"], text=case["body"], headers=headers)

        transport = httpx.MockTransport(answer)
        client = AuthenticatedClient(
            base_url="http://offline.invalid", token=token, httpx_args={"transport": transport}
        )
    with client:
        parsed = call(client, spec_input["operations"][case["operation"]])
    if isinstance(parsed, outcome_model) and parsed.code == 0:
        return ok(typed(parsed.result, result_model).to_dict())
    if isinstance(parsed, outcome_model | ErrorEnvelope):
        return error(parsed.code, parsed.message)
    raise TypeError(f"decoded as {type(parsed).__name__}")


if __name__ == "__main__":
    main(decode)
