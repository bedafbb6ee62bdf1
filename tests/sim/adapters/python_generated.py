"""The conformance adapter of a generated Python client: openapi-python-client's (`hidream_api_client`, the
interop row `openapi-python-client`) or openapi-generator python's (`og-python`). Protocol:
hidream_sim.conformance (the request as JSON on stdin, the observation as the last line of stdout).

    python python_generated.py openapi-python-client
    python python_generated.py og-python CLIENT_DIR     (the generated package `hidream_og` is in CLIENT_DIR)

It uses what the generated client offers and nothing more, plus the glue every user of it writes: a poll
loop with the provider's status rule (0/2 and -5..-1 transient, 1 done, 3 failed, 4 refused, anything
else stops), a download with plain httpx (no token: the image is on another host; redirects followed,
bounded by max_download_bytes) and the error kinds of adapter protocol 2, read from the HTTP status or
the envelope the client gives back.
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


class Glue(Exception):
    """An error the glue raises itself, with its protocol-2 kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def status_kind(status: int) -> str:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server"
    if 300 <= status < 400:
        return "redirect"
    return "rejected" if status >= 400 else "malformed_response"


def envelope(answer: Any, what: str) -> Any:
    """A 200 envelope with `code` 0, or Glue naming what was wrong."""
    code = field(answer, "code")
    if code is None:
        raise Glue("malformed_response", f"{what}: no envelope")
    if code != 0:
        kind = "auth" if code == 401 else "rejected" if isinstance(code, int) else "malformed_response"
        raise Glue(kind, f"{what} rejected: code {code}: {field(answer, 'message')}")
    return answer


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

    def checked(answer: Any) -> Any:
        if answer.status_code != 200:
            raise Glue(
                status_kind(answer.status_code), f"HTTP {answer.status_code}: {answer.content[:200]!r}"
            )
        return answer.parsed

    client = Client()
    client.submit = lambda body: checked(
        submit_upscale_task.sync_detailed(client=http, body=UpscaleRequest.from_dict(body))
    )
    client.read = lambda task_id: checked(get_upscale_task_result.sync_detailed(client=http, task_id=task_id))
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
        envelope(read, "the result read")
        subs = field(field(read, "result"), "sub_task_results")
        if not isinstance(subs, list):
            raise Glue("malformed_response", "the result read: no sub_task_results")
        statuses = [sub.task_status for sub in subs]
        if not all(isinstance(status, int) for status in statuses):
            raise Glue("malformed_response", "task_status: not a number")
        if 4 in statuses:
            surfaced.append(f"task {task_id} refused by the safety review")
            return "refused"
        if 3 in statuses:
            surfaced.append(f"task {task_id} failed")
            return "failed"
        if statuses and all(status == 1 for status in statuses):
            if request["action"] == "submit_wait_download":
                image = field(subs[0], "image")
                if not isinstance(image, str) or not image:
                    raise Glue("malformed_response", "image: not a URL")
                answer = httpx.get(image, timeout=sdk.get("request_timeout_s", 30), follow_redirects=True)
                if answer.status_code != 200:
                    raise Glue("download", f"image: HTTP {answer.status_code}")
                limit = sdk.get("max_download_bytes")
                if limit is not None and len(answer.content) > limit:
                    raise Glue("download", f"image: more than {limit} bytes")
                Path(request["output_path"]).write_bytes(answer.content)
            return "succeeded"
        if statuses and all(status != 1 and status not in TRANSIENT for status in statuses):
            raise Glue("other", f"task {task_id}: unknown final status {statuses}")
        if time.monotonic() - started > sdk.get("wait_timeout_s", 300):
            surfaced.append(f"task {task_id}: not final after {sdk.get('wait_timeout_s', 300)} s")
            return "timeout"
        time.sleep(sdk.get("poll_interval_s", 0.05))


def kind_of(error: Exception) -> str:
    """The protocol-2 kind of what the generated client (or the glue) raised."""
    if isinstance(error, Glue):
        return error.kind
    name = type(error).__name__.lower()
    if isinstance(error, httpx.TimeoutException) or "timeout" in name or "timed out" in str(error).lower():
        return "timeout"
    status = getattr(error, "status", None)  # openapi-generator's ApiException
    if isinstance(status, int):
        return status_kind(status)
    if isinstance(error, httpx.TransportError) or "connection" in name or "maxretry" in name:
        return "connection"
    if type(error).__module__.startswith("urllib3."):
        # openapi-generator python lets urllib3's own errors through: a connection closed before the
        # answer is urllib3.exceptions.ProtocolError("Connection aborted.", RemoteDisconnected(...)).
        return "connection"
    if isinstance(error, (KeyError, TypeError, ValueError, AttributeError)):
        return "malformed_response"  # a body the generated models could not read
    return "other"


def observe(which: str, request: dict[str, Any]) -> dict[str, Any]:
    sdk = request["sdk"]
    limits = [sdk[key] for key in ("request_timeout_s", "deadline_s") if key in sdk]
    surfaced: list[str] = []
    started = time.monotonic()
    outcome, error_kind, error_type = "error", None, None
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
            task_id = field(field(envelope(submitted, "the submit"), "result"), "task_id")
            if not isinstance(task_id, str) or not task_id:
                raise Glue("malformed_response", "code 0 without result.task_id")
            if request["action"] in ("submit", "submit_with_callback"):
                outcome = "submitted"
            else:
                outcome = wait(client, request, task_id, surfaced)
    except Exception as error:  # the observation names whatever the client raised
        error_kind, error_type = kind_of(error), type(error).__name__
        outcome = "timeout" if error_kind == "timeout" else "error"
        surfaced += [str(error), repr(error)]
    return {
        "outcome": outcome,
        "error_kind": error_kind,
        "error_type": error_type,
        "surfaced": surfaced,
        "seconds": time.monotonic() - started,
    }


if __name__ == "__main__":
    sys.path[:0] = sys.argv[2:3]
    print(json.dumps(observe(sys.argv[1], json.load(sys.stdin))))
