"""The bare generated Python client (openapi-python-client's `hidream_api_client`, the interop row
`openapi-python-client`) through the catalog, with only the glue every user of it writes: a poll loop
with the provider's status rule and a download with plain httpx (no token). Its lifecycle must pass; the
fault rows show what the hand-written client (`hidream`) adds on top of it (retries, redirects refused,
redaction)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hidream_api_client import AuthenticatedClient
from hidream_api_client.api.upscale import get_upscale_task_result, submit_upscale_task
from hidream_api_client.models import (
    GetUpscaleTaskResultOutcome,
    SubmitUpscaleTaskOutcome,
    UpscaleRequest,
    UpscaleTask,
    UpscaleTaskResult,
)
from hidream_api_client.types import Unset

from hidream_sim import conformance

pytestmark = pytest.mark.slow
TRANSIENT = {-5, -4, -3, -2, -1, 0, 2}


def _wait_and_download(client: AuthenticatedClient, request: dict[str, Any], task_id: str) -> str:
    sdk = request["sdk"]
    started = time.monotonic()
    while True:
        read = get_upscale_task_result.sync(client=client, task_id=task_id)
        if not isinstance(read, GetUpscaleTaskResultOutcome) or read.code != 0:
            return "error"
        result = read.result
        subs = result.sub_task_results if isinstance(result, UpscaleTaskResult) else []
        subs = [] if isinstance(subs, Unset) else subs
        statuses = [sub.task_status for sub in subs]
        if 4 in statuses:
            return "refused"
        if 3 in statuses:
            return "failed"
        if statuses and all(status == 1 for status in statuses):
            if request["action"] == "submit_wait_download":
                image = subs[0].image
                if isinstance(image, Unset):
                    return "error"
                answer = httpx.get(image, timeout=sdk.get("request_timeout_s", 30))
                answer.raise_for_status()
                Path(request["output_path"]).write_bytes(answer.content)
            return "succeeded"
        if statuses and all(status != 1 and status not in TRANSIENT for status in statuses):
            return "error"
        if time.monotonic() - started > sdk.get("wait_timeout_s", 300):
            return "timeout"
        time.sleep(sdk.get("poll_interval_s", 0.05))


def generated_python_adapter(request: dict[str, Any]) -> dict[str, Any]:
    sdk = request["sdk"]
    limits = [sdk[key] for key in ("request_timeout_s", "deadline_s") if key in sdk]
    timeout = httpx.Timeout(min(limits) if limits else 30.0)
    surfaced: list[str] = []
    started = time.monotonic()
    outcome, error_type = "error", None
    client = AuthenticatedClient(base_url=request["base_url"], token=request["token"], timeout=timeout)
    try:
        with client:
            body = UpscaleRequest.from_dict(
                {"image": request["image"], "upsale_ratio": request["upsale_ratio"]}
                | ({"notify_url": request["notify_url"]} if request.get("notify_url") else {})
            )
            submitted = submit_upscale_task.sync(client=client, body=body)
            surfaced += [repr(submitted)]
            task = submitted.result if isinstance(submitted, SubmitUpscaleTaskOutcome) else None
            task_id = task.task_id if isinstance(task, UpscaleTask) else None
            if not isinstance(submitted, SubmitUpscaleTaskOutcome) or submitted.code != 0 or not task_id:
                outcome = "error"
            elif isinstance(task_id, str) and request["action"] in ("submit", "submit_with_callback"):
                outcome = "submitted"
            elif isinstance(task_id, str):
                outcome = _wait_and_download(client, request, task_id)
    except httpx.TimeoutException as error:
        outcome, error_type, surfaced = "timeout", type(error).__name__, [*surfaced, str(error)]
    except Exception as error:
        outcome, error_type, surfaced = "error", type(error).__name__, [*surfaced, str(error), repr(error)]
    return {
        "outcome": outcome,
        "error_type": error_type,
        "surfaced": surfaced,
        "seconds": time.monotonic() - started,
    }


def test_the_bare_generated_python_client_passes_the_lifecycle() -> None:
    rows = conformance.run(generated_python_adapter, conformance.cases("lifecycle"))
    assert len(rows) >= 8
    failed = {row.case_id: row.problems for row in rows if not row.passed}
    assert failed == {}


def test_the_table_shows_what_the_bare_generated_client_lacks() -> None:
    rows = conformance.run(generated_python_adapter, conformance.cases(ids=["rate-limit-on-submit"]))
    (row,) = rows
    assert "the POST answered 429 was never retried" in row.problems
