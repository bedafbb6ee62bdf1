"""A naive SDK for the conformance catalog: what a first version written with plain `requests` does.

`Naive()` is a straightforward SDK: it checks `code`, polls the result read, downloads the image without
the token, reports error kinds. Each flag adds ONE mistake a first version plausibly makes, so a test
can show that a catalog case fails an SDK that makes it (tests/sim/test_conformance.py). It knows
nothing of this repository but the documented URLs: a double, not our client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

OPERATION = "/image/image_upscaler/async"
ENVELOPE = {"code", "message", "request_id", "result"}
TASK = {"task_id", "sub_task_ids"}


class Failure(Exception):
    """The naive SDK's one error class: a kind (the catalog's vocabulary) and a message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Naive:
    status_only: bool = False  # success is HTTP 2xx; `code` is never read
    resubmit: int = 0  # resubmits this many times after any error (a 5xx, a rejection, a 201...)
    quiet: bool = False  # its errors say "HTTP 400" / "code 1001", never the service's message
    token_everywhere: bool = False  # one session with the token for every request, downloads too
    strict: bool = False  # refuses answers with fields it does not know (Go's DisallowUnknownFields)
    exact_json: bool = False  # only `Content-Type: application/json` exactly is JSON
    lenient: bool = False  # coerces what it reads: int("1") is a status like 1
    trusting: bool = False  # indexes the documented fields without checking (a missing one: KeyError)
    no_download_redirects: bool = False  # allow_redirects=False everywhere, downloads included
    validate: bool = True  # refuses a ratio not 2 or 4 and an empty image before sending
    bounded_download: bool = True  # honours max_download_bytes
    language: str | None = None  # sends X-accept-language with this value
    extra_body: dict[str, Any] = field(default_factory=dict)  # sends these body fields too
    kinds: bool = True  # reports error kinds (False: every error is "other")

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        surfaced: list[str] = []
        started = time.monotonic()
        try:
            outcome = self._run(request, surfaced)
            kind = None
        except Failure as error:
            surfaced.append(str(error))
            outcome, kind = ("timeout", "timeout") if error.kind == "timeout" else ("error", error.kind)
        return {
            "outcome": outcome,
            "error_kind": kind if self.kinds or kind is None else "other",
            "error_type": None if kind is None else "Failure",
            "surfaced": surfaced,
            "seconds": time.monotonic() - started,
        }

    # --- the SDK --------------------------------------------------------------------------------------
    def _run(self, request: dict[str, Any], surfaced: list[str]) -> str:
        sdk = request["sdk"]
        timeout = sdk.get("request_timeout_s", 10.0)
        if self.validate and request["upsale_ratio"] not in (2, 4):
            raise Failure("validation", f"upsale_ratio: {request['upsale_ratio']} is not 2 or 4")
        if self.validate and not request["image"]:
            raise Failure("validation", "image: is empty")
        session = requests.Session()
        auth = {"Authorization": f"Bearer {request['token']}"}
        if self.token_everywhere:
            session.headers.update(auth)
        if self.language:
            auth["X-accept-language"] = self.language
        body = {"image": request["image"], "upsale_ratio": request["upsale_ratio"], **self.extra_body}
        if "notify_url" in request:
            body["notify_url"] = request["notify_url"]
        task_id = self._submit(session, request["base_url"] + OPERATION, body, auth, timeout, surfaced)
        if request["action"] in ("submit", "submit_with_callback"):
            return "submitted"
        url = self._wait(session, request, task_id, auth, timeout, surfaced)
        if isinstance(url, str) and request["action"] == "submit_wait_download":
            self._download(session, url, request, timeout)
        return url if url in ("failed", "refused", "timeout", "error") else "succeeded"

    def _submit(
        self,
        session: requests.Session,
        url: str,
        body: dict[str, Any],
        headers: dict[str, str],
        timeout: float,
        surfaced: list[str],
    ) -> str:
        for attempt in range(1 + self.resubmit):
            try:
                answer = session.post(url, json=body, headers=headers, timeout=timeout, allow_redirects=False)
                envelope = self._read(answer, surfaced)
                if self.status_only:
                    return str((envelope.get("result") or {}).get("task_id"))
                if answer.status_code != 200:
                    raise Failure("malformed_response", f"HTTP {answer.status_code}")
                if self.trusting:  # it reads what the docs promise, unchecked: a missing field is a KeyError
                    surfaced.append(f"request_id={envelope['request_id']}")
                    task_id = envelope["result"]["task_id"]
                else:
                    result = envelope.get("result")
                    task_id = result.get("task_id") if isinstance(result, dict) else None
                    ids = result.get("sub_task_ids") if isinstance(result, dict) else None
                    if not isinstance(task_id, str) or not isinstance(ids, list):
                        raise Failure("malformed_response", "task_id: missing from the accepted task")
                return str(task_id)
            except Failure:
                if attempt == self.resubmit:
                    raise
        raise AssertionError("unreachable")

    def _read(self, answer: requests.Response, surfaced: list[str]) -> dict[str, Any]:
        """The envelope of an answer, or the Failure it is."""
        surfaced.append(f"HTTP {answer.status_code}")
        if 300 <= answer.status_code < 400:
            raise Failure("redirect", f"HTTP {answer.status_code} redirect")
        if answer.status_code == 429:
            raise Failure("rate_limited", "HTTP 429")
        if answer.status_code >= 500:
            raise Failure("server", f"HTTP {answer.status_code}")
        kind = answer.headers.get("Content-Type", "")
        if self.exact_json and kind != "application/json":
            raise Failure("malformed_response", f"not JSON: {kind}")
        try:
            envelope = answer.json()
        except ValueError:
            raise Failure("malformed_response", f"HTTP {answer.status_code}: not JSON") from None
        if not isinstance(envelope, dict):
            raise Failure("malformed_response", "not an object")
        if self.strict and set(envelope) - ENVELOPE:
            raise Failure("malformed_response", f"unknown fields {sorted(set(envelope) - ENVELOPE)}")
        if self.strict and isinstance(envelope.get("result"), dict) and envelope.get("code") == 0:
            known = TASK | {"sub_task_results"}
            if set(envelope["result"]) - known:
                raise Failure(
                    "malformed_response", f"unknown fields {sorted(set(envelope['result']) - known)}"
                )
        if self.status_only and 200 <= answer.status_code < 300:
            return envelope
        code = int(envelope.get("code", -1)) if self.lenient else envelope.get("code")
        if code != 0 or answer.status_code >= 400:
            said = "" if self.quiet else f": {envelope.get('message')}"
            auth = answer.status_code in (401, 403)
            raise Failure("auth" if auth else "rejected", f"HTTP {answer.status_code}, code {code}{said}")
        return envelope

    def _wait(
        self,
        session: requests.Session,
        request: dict[str, Any],
        task_id: str,
        headers: dict[str, str],
        timeout: float,
        surfaced: list[str],
    ) -> str:
        """The image URL once succeeded, or the final outcome's name."""
        sdk = request["sdk"]
        end = time.monotonic() + sdk.get("wait_timeout_s", 30.0)
        url = request["base_url"] + OPERATION + "/results"
        while time.monotonic() < end:
            answer = session.get(url, params={"task_id": task_id}, headers=headers, timeout=timeout)
            envelope = self._read(answer, surfaced)
            subs = (envelope.get("result") or {}).get("sub_task_results", [])
            if self.strict:
                for sub in subs:
                    if set(sub) - {"sub_task_id", "task_status", "image"}:
                        raise Failure("malformed_response", "unknown sub-task fields")
            statuses = [int(s["task_status"]) if self.lenient else s.get("task_status") for s in subs]
            if 4 in statuses:
                return "refused"
            if 3 in statuses:
                return "failed"
            if statuses and all(status == 1 for status in statuses):
                image = subs[0].get("image")
                if not isinstance(image, str):
                    raise Failure("malformed_response", "image: not a URL")
                return image
            time.sleep(sdk.get("poll_interval_s", 0.05))
        return "timeout"

    def _download(self, session: requests.Session, url: str, request: dict[str, Any], timeout: float) -> None:
        answer = session.get(url, timeout=timeout, allow_redirects=not self.no_download_redirects)
        if answer.status_code != 200:
            raise Failure("download", f"image: HTTP {answer.status_code}")
        limit = request["sdk"].get("max_download_bytes")
        if self.bounded_download and limit is not None and len(answer.content) > limit:
            raise Failure("download", f"image: more than {limit} bytes")
        Path(request["output_path"]).write_bytes(answer.content)
