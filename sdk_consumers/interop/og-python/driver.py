"""Interop driver for openapi-generator's `python` client: offline, the generated models read each
body (the one the spec gives its status); online, the generated API calls the Prism mock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[1])]

from common import error, main, ok, prefer, typed  # noqa: E402
from hidream_og import ApiClient, Configuration, UpscaleApi  # noqa: E402
from hidream_og.exceptions import ApiException  # noqa: E402
from hidream_og.models import (  # noqa: E402
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
        lambda api, call: api.submit_upscale_task(UpscaleRequest.from_dict(call["body"])),
    ),
    "getUpscaleTaskResult": (
        GetUpscaleTaskResultOutcome,
        UpscaleTaskResult,
        lambda api, call: api.get_upscale_task_result(**call["query"]),
    ),
}


def decode(case: dict[str, Any], base_url: str | None, spec_input: dict[str, Any]) -> dict[str, Any]:
    outcome_model, result_model, call = OPERATIONS[case["operation"]]

    def read(parsed: object) -> dict[str, Any]:
        if isinstance(parsed, outcome_model) and parsed.code == 0:
            return ok(typed(parsed.result, result_model).to_dict())
        if isinstance(parsed, outcome_model | ErrorEnvelope):
            return error(parsed.code, parsed.message)
        raise TypeError(f"decoded as {type(parsed).__name__}")

    if not base_url:
        model = outcome_model if 200 <= case["status"] < 300 else ErrorEnvelope
        return read(model.from_json(case["body"]))
    config = Configuration(host=base_url, access_token=spec_input["token"])
    with ApiClient(config, header_name="Prefer", header_value=prefer(case)) as client:
        try:
            return read(call(UpscaleApi(client), spec_input["operations"][case["operation"]]))
        except ApiException as rejected:
            return read(rejected.data)


if __name__ == "__main__":
    main(decode)
