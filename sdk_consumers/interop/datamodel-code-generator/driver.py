"""Interop driver for datamodel-code-generator (pydantic models, no client): the model the spec gives
each status validates the body, read offline or from the Prism mock with httpx."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[1])]

import httpx  # noqa: E402
from common import error, main, ok, prefer, typed  # noqa: E402
from models import (  # noqa: E402
    ErrorEnvelope,
    GetUpscaleTaskResultOutcome,
    SubmitUpscaleTaskOutcome,
    UpscaleTask,
    UpscaleTaskResult,
)

# Per operation: the 2xx envelope model and its result model.
OPERATIONS: dict[str, tuple[Any, type]] = {
    "submitUpscaleTask": (SubmitUpscaleTaskOutcome, UpscaleTask),
    "getUpscaleTaskResult": (GetUpscaleTaskResultOutcome, UpscaleTaskResult),
}


def decode(case: dict[str, Any], base_url: str | None, spec_input: dict[str, Any]) -> dict[str, Any]:
    outcome_model, result_model = OPERATIONS[case["operation"]]
    status, text = case["status"], case["body"]
    if base_url:
        call = spec_input["operations"][case["operation"]]
        response = httpx.request(
            call["method"],
            base_url + call["path"],
            params=call["query"],
            json=call["body"],
            headers={"Authorization": f"Bearer {spec_input['token']}", "Prefer": prefer(case)},
        )
        status, text = response.status_code, response.text
    if 200 <= status < 300:
        outcome = outcome_model.model_validate_json(text)
        if outcome.code == 0:
            result = typed(outcome.result, result_model)
            return ok(result.model_dump(mode="json", by_alias=True, exclude_unset=True))
        return error(outcome.code, outcome.message)
    rejected = ErrorEnvelope.model_validate_json(text)
    return error(rejected.code, rejected.message)


if __name__ == "__main__":
    main(decode)
