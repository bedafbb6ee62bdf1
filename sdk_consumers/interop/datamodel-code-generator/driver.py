"""Interop driver for datamodel-code-generator (pydantic models, no client): the model the spec gives
each status validates the body, read offline or from the Prism mock with httpx."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[1])]

import httpx  # noqa: E402
from common import error, main, prefer, task  # noqa: E402
from models import ErrorEnvelope, SubmitUpscaleTaskOutcome, UpscaleTask  # noqa: E402


def decode(case: dict[str, Any], base_url: str | None, spec_input: dict[str, Any]) -> dict[str, Any]:
    status, text = case["status"], case["body"]
    if base_url:
        op = spec_input["operation"]
        response = httpx.request(
            op["method"],
            base_url + op["path"],
            json=spec_input["request"],
            headers={"Authorization": f"Bearer {spec_input['token']}", "Prefer": prefer(case)},
        )
        status, text = response.status_code, response.text
    if status == 200:
        outcome = SubmitUpscaleTaskOutcome.model_validate_json(text)
        if outcome.code == 0:
            if not isinstance(outcome.result, UpscaleTask):
                raise TypeError(f"an accepted answer's result is {type(outcome.result).__name__}")
            return task(outcome.result.task_id, outcome.result.sub_task_ids or [])
        return error(outcome.code, outcome.message)
    rejected = ErrorEnvelope.model_validate_json(text)
    return error(rejected.code, rejected.message)


if __name__ == "__main__":
    main(decode)
