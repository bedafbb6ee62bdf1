"""Interop driver for our own generated client (openapi-python-client): the generated operation reads
each case's response (a stub transport offline, the Prism mock online) into its typed models."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[1])]

import httpx  # noqa: E402
from common import error, main, prefer, task  # noqa: E402
from hidream_api_client import AuthenticatedClient  # noqa: E402
from hidream_api_client.api.upscale import submit_upscale_task  # noqa: E402
from hidream_api_client.models import (  # noqa: E402
    ErrorEnvelope,
    SubmitUpscaleTaskOutcome,
    UpscaleRequest,
    UpscaleTask,
)


def decode(case: dict[str, Any], base_url: str | None, spec_input: dict[str, Any]) -> dict[str, Any]:
    if base_url:
        client = AuthenticatedClient(
            base_url=base_url, token=spec_input["token"], headers={"Prefer": prefer(case)}
        )
    else:

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                case["status"], text=case["body"], headers={"Content-Type": "application/json"}
            )

        client = AuthenticatedClient(
            base_url="http://offline.invalid",
            token=spec_input["token"],
            httpx_args={"transport": httpx.MockTransport(answer)},
        )
    with client:
        parsed = submit_upscale_task.sync(client=client, body=UpscaleRequest.from_dict(spec_input["request"]))
    if isinstance(parsed, SubmitUpscaleTaskOutcome) and parsed.code == 0:
        if not isinstance(parsed.result, UpscaleTask):
            raise TypeError(f"an accepted answer's result is {type(parsed.result).__name__}, not UpscaleTask")
        return task(parsed.result.task_id, parsed.result.sub_task_ids)
    if isinstance(parsed, SubmitUpscaleTaskOutcome | ErrorEnvelope):
        return error(parsed.code, parsed.message)
    raise TypeError(f"decoded as {type(parsed).__name__}")


if __name__ == "__main__":
    main(decode)
