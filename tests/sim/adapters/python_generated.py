"""The conformance adapter of a generated Python client: openapi-python-client's (`hidream_api_client`, the
interop row `openapi-python-client`) or openapi-generator python's (`og-python`). Protocol:
hidream_sim.conformance (the request as JSON on stdin, the observation as the last line of stdout).

    python python_generated.py openapi-python-client
    python python_generated.py og-python CLIENT_DIR     (the generated package `hidream_og` is in CLIENT_DIR)

It uses what the generated client offers and nothing more, plus the glue every user of it writes: a poll
loop with the provider's status rule (0/2 and -5..-1 transient, 1 done, 3 failed, 4 refused, anything
else stops) and a download with plain httpx (no token: the image is on another host).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

TRANSIENT = {-5, -4, -3, -2, -1, 0, 2}


class Client:
    """The two calls the glue needs, from either generated client."""

    submit: Callable[[dict[str, Any]], Any]
    read: Callable[[str], Any]


def openapi_python_client(request: dict[str, Any], timeout: float | None) -> tuple[Any, Client]:
    from hidream_api_client import AuthenticatedClient
    from hidream_api_client.api.upscale import get_upscale_task_result, submit_upscale_task
    from hidream_api_client.models import UpscaleRequest

    http = AuthenticatedClient(
        base_url=request["base_url"], token=request["token"], timeout=httpx.Timeout(timeout or 30.0)
    )
    client = Client()
    client.submit = lambda body: submit_upscale_task.sync(client=http, body=UpscaleRequest.from_dict(body))
    client.read = lambda task_id: get_upscale_task_result.sync(client=http, task_id=task_id)
    return http, client


def og_python(request: dict[str, Any], timeout: float | None) -> tuple[Any, Client]:
    package = importlib.import_module("hidream_og")
    models = importlib.import_module("hidream_og.models")
    config = package.Configuration(host=request["base_url"], access_token=request["token"])
    http = package.ApiClient(config)
    api = package.UpscaleApi(http)
    client = Client()
    client.submit = lambda body: api.submit_upscale_task(
        models.UpscaleRequest.from_dict(body), _request_timeout=timeout
    )
    client.read = lambda task_id: api.get_upscale_task_result(task_id=task_id, _request_timeout=timeout)
    return http, client


def field(value: Any, name: str) -> Any:
    """An attribute that may be absent (None) or openapi-python-client's Unset (falsy, not None)."""
    found = getattr(value, name, None)
    return found if found or found == 0 else None


def wait(client: Client, request: dict[str, Any], task_id: str, surfaced: list[str]) -> str:
    sdk = request["sdk"]
    started = time.monotonic()
    while True:
        read = client.read(task_id)
        surfaced.append(repr(read))
        if field(read, "code") != 0:
            return "error"
        subs = field(field(read, "result"), "sub_task_results") or []
        statuses = [sub.task_status for sub in subs]
        if 4 in statuses:
            return "refused"
        if 3 in statuses:
            return "failed"
        if statuses and all(status == 1 for status in statuses):
            if request["action"] == "submit_wait_download":
                image = field(subs[0], "image")
                if not image:
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


def observe(which: str, request: dict[str, Any]) -> dict[str, Any]:
    sdk = request["sdk"]
    limits = [sdk[key] for key in ("request_timeout_s", "deadline_s") if key in sdk]
    surfaced: list[str] = []
    started = time.monotonic()
    outcome, error_type = "error", None
    try:
        http, client = (og_python if which == "og-python" else openapi_python_client)(
            request, min(limits) if limits else None
        )
        with http:
            body = {"image": request["image"], "upsale_ratio": request["upsale_ratio"]}
            if request.get("notify_url"):
                body["notify_url"] = request["notify_url"]
            submitted = client.submit(body)
            surfaced.append(repr(submitted))
            task_id = field(field(submitted, "result"), "task_id")
            if field(submitted, "code") != 0 or not isinstance(task_id, str) or not task_id:
                outcome = "error"
            elif request["action"] in ("submit", "submit_with_callback"):
                outcome = "submitted"
            else:
                outcome = wait(client, request, task_id, surfaced)
    except Exception as error:
        timed_out = "timeout" in type(error).__name__.lower() or "timed out" in str(error).lower()
        outcome = "timeout" if timed_out else "error"
        error_type, surfaced = type(error).__name__, [*surfaced, str(error), repr(error)]
    return {
        "outcome": outcome,
        "error_type": error_type,
        "surfaced": surfaced,
        "seconds": time.monotonic() - started,
    }


if __name__ == "__main__":
    sys.path[:0] = sys.argv[2:3]
    print(json.dumps(observe(sys.argv[1], json.load(sys.stdin))))
