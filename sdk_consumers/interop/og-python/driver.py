"""Interop driver for openapi-generator's `python` client: offline, the generated models read each
body (the one the spec gives its status); online, the generated API calls the Prism mock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[1])]

from common import error, main, prefer, task  # noqa: E402
from hidream_og import ApiClient, Configuration, UpscaleApi  # noqa: E402
from hidream_og.exceptions import ApiException  # noqa: E402
from hidream_og.models import ErrorEnvelope, SubmitUpscaleTaskOutcome, UpscaleRequest, UpscaleTask  # noqa: E402


def read(parsed: object) -> dict[str, Any]:
    if isinstance(parsed, SubmitUpscaleTaskOutcome) and parsed.code == 0:
        if not isinstance(parsed.result, UpscaleTask):
            raise TypeError(f"an accepted answer's result is {type(parsed.result).__name__}, not UpscaleTask")
        return task(parsed.result.task_id, parsed.result.sub_task_ids or [])
    if isinstance(parsed, SubmitUpscaleTaskOutcome | ErrorEnvelope):
        return error(parsed.code, parsed.message)
    raise TypeError(f"decoded as {type(parsed).__name__}")


def decode(case: dict[str, Any], base_url: str | None, spec_input: dict[str, Any]) -> dict[str, Any]:
    if not base_url:
        model = SubmitUpscaleTaskOutcome if case["status"] == 200 else ErrorEnvelope
        return read(model.from_json(case["body"]))
    config = Configuration(host=base_url, access_token=spec_input["token"])
    with ApiClient(config, header_name="Prefer", header_value=prefer(case)) as client:
        try:
            return read(
                UpscaleApi(client).submit_upscale_task(UpscaleRequest.from_dict(spec_input["request"]))
            )
        except ApiException as rejected:
            return read(rejected.data)


if __name__ == "__main__":
    main(decode)
