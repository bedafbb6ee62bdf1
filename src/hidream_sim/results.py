"""The stand-in's result read (issue 13): `GET {PREFIX}{OPERATION_PATH}/results?task_id=…`, and its images.

As the provider's client code reads results (the spec marks it `x-provenance`): the same bearer token
and envelope; `result.sub_task_results[]` with `sub_task_id`, `task_status` and, once succeeded,
`image`. A task the stand-in accepted moves one step per read: the first read answers queued (0), the
second in progress (2), every later one final — succeeded (1) with an `image` URL the stand-in serves
itself (`GET /files/<sub_task_id>.png`: a PNG, no token asked, like a public storage host), or failed
(3) when the submitted image's name contains "fail", refused (4) when it contains "unsafe". An unknown
or missing `task_id` is rejected with a non-zero code (HTTP 200, like the submit's rejections). Other
methods get 405 with `Allow: GET`. The modes below change one thing of this operation.
"""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

RESULTS_SUFFIX = "/results"
FILES_PREFIX = "/files/"
CODE_NO_SUCH_TASK = 1004
PNG = base64.b64decode(  # a 2x2 PNG: what every succeeded task "produced"
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC"
)

# name -> (kind, description), as server.MODES has them.
MODES: dict[str, tuple[str, str]] = {
    "result-extra-fields": (
        "harmless",
        "result reads carry undocumented fields in `result` and each sub-task",
    ),
    "result-unnamed-status": (
        "harmless",
        "a result read's first status is -1, a value the spec does not name",
    ),
    "result-rename-status": ("drift", "result reads send `task_status` as `status`"),
    "result-retype-status": ("drift", 'result reads send `task_status` as a string ("1")'),
    "result-missing-sub-tasks": ("drift", "result reads answer code 0 without `result.sub_task_results`"),
    "result-image-object": ("drift", "a succeeded sub-task's `image` is an object {url}, not a string"),
    "result-accept-unknown-task": ("drift", "an unknown `task_id` is answered code 0 with no sub-tasks"),
}


@dataclass
class _Task:
    sub_task_ids: list[str]
    outcome: int  # the final status: 1, 3 or 4
    reads: int = 0


class TaskBook:
    """The tasks the stand-in accepted, and how often each was read."""

    def __init__(self) -> None:
        self._tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()
        self.reads = 0
        self.image_requests = 0
        self.image_requests_with_auth = 0

    def add(self, task_id: str, sub_task_ids: list[str], body: dict[str, Any]) -> None:
        image = str(body.get("image", "")).lower()
        outcome = 4 if "unsafe" in image else 3 if "fail" in image else 1
        with self._lock:
            self._tasks[task_id] = _Task(list(sub_task_ids), outcome)

    def read(self, task_id: str) -> tuple[list[str], int] | None:
        """The task's sub-tasks and status at this read (it advances one step), None if unknown."""
        with self._lock:
            self.reads += 1
            task = self._tasks.get(task_id)
            if task is None:
                return None
            task.reads += 1
            status = 0 if task.reads == 1 else 2 if task.reads == 2 else task.outcome
            return task.sub_task_ids, status

    def count_image(self, with_auth: bool) -> None:
        with self._lock:
            self.image_requests += 1
            self.image_requests_with_auth += with_auth


class Handler(Protocol):
    """What this module uses of the stand-in's request handler."""

    headers: Any

    def _send(self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None) -> None: ...
    def _send_raw(
        self, status: int, data: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None: ...
    def _error(self, code: int, message: str) -> dict[str, Any]: ...
    def _authorized(self) -> bool: ...


def serves(path: str, operation: str) -> bool:
    """Whether `path` is this module's: the result read under `operation`'s path, or an image."""
    return path == operation + RESULTS_SUFFIX or path.startswith(FILES_PREFIX)


def handle(handler: Handler, book: TaskBook, mode: str, method: str, raw_path: str, root: str) -> None:
    """Answer a result read or an image request. `root`: the stand-in's http://host:port."""
    parts = urlsplit(raw_path)
    if parts.path.startswith(FILES_PREFIX):
        _image(handler, book, method, parts.path)
        return
    if method != "GET":
        handler._send(405, handler._error(405, "Method not allowed"), extra={"Allow": "GET"})
        return
    if not handler._authorized():
        handler._send(401, handler._error(401, "Unauthorized"), extra={"WWW-Authenticate": "Bearer"})
        return
    task_id = (parse_qs(parts.query).get("task_id") or [""])[0]
    found = book.read(task_id) if task_id else None
    if found is None and mode == "result-accept-unknown-task" and task_id:
        found = ([], 0)
    if found is None:
        problem = "task_id: required" if not task_id else f"task_id: no such task {task_id!r}"
        handler._send(200, handler._error(CODE_NO_SUCH_TASK, problem))
        return
    handler._send(200, _envelope(mode, root, *found))


def _envelope(mode: str, root: str, sub_task_ids: list[str], status: int) -> dict[str, Any]:
    if mode == "result-unnamed-status" and status == 0:
        status = -1
    subs: list[dict[str, Any]] = []
    for sub_task_id in sub_task_ids:
        sub: dict[str, Any] = {"sub_task_id": sub_task_id, "task_status": status}
        if status == 1:
            url = f"{root}{FILES_PREFIX}{sub_task_id}.png"
            sub["image"] = {"url": url} if mode == "result-image-object" else url
        if mode == "result-rename-status":
            sub["status"] = sub.pop("task_status")
        elif mode == "result-retype-status":
            sub["task_status"] = str(status)
        elif mode == "result-extra-fields":
            sub["progress"] = 100 if status == 1 else 0
        subs.append(sub)
    result: dict[str, Any] = {"sub_task_results": subs}
    if mode == "result-missing-sub-tasks":
        del result["sub_task_results"]
    elif mode == "result-extra-fields":
        result["queue_position"] = 0
    return {"code": 0, "message": "Success", "request_id": str(uuid.uuid4()), "result": result}


def _image(handler: Handler, book: TaskBook, method: str, path: str) -> None:
    book.count_image(handler.headers.get("Authorization") is not None)
    if method != "GET" or not path.endswith(".png"):
        handler._send_raw(404, b"no such image", "text/plain")
        return
    handler._send_raw(200, PNG, "image/png")
