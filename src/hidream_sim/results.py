"""The simulator's result read (issue 13): `GET {PREFIX}{OPERATION_PATH}/results?task_id=…`, and its images.

As the provider's client code reads results (the spec marks it `x-provenance`): the same bearer token
and envelope; `result.sub_task_results[]` with `sub_task_id`, `task_status` and, once succeeded,
`image`. A task moves through queued (0) and in progress (2) to final: succeeded (1) with an `image`
URL the simulator serves itself (`GET /files/<sub_task_id>.png`: a real PNG of the input's size times
`upsale_ratio`, no token asked, like a public storage host), generation failed (3) when the submitted
image URL's name contains "fail" (or the scenario `task-fails`), refused by the safety review (4) when it
contains "unsafe" (or `task-refused`). With `task_seconds` None (the default) a task moves one step per
read (the first read answers 0, the second 2, every later one final): instant, and deterministic for
tests; with `task_seconds` S it is queued for the first S/2 seconds, in progress until S, then final.
An unknown or missing `task_id` is rejected with a non-zero code (HTTP 200, like the submit's
rejections). Other methods get 405 with `Allow: GET`. The modes below change one thing of this operation.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from hidream_sim import png

RESULTS_SUFFIX = "/results"
FILES_PREFIX = "/files/"
MOVED_FILES = "moved/"  # /files/moved/<name> answers 302 to /files/<name> (scenario result-image-redirect)
CODE_NO_SUCH_TASK = 1004
NEVER = -100  # a task's outcome when it never finishes (scenario task-never-finishes): it stays at 2
UNKNOWN_FINAL = 7  # the final status of scenario task-unknown-status: a value nobody documents
# The final status each scenario gives the tasks created under it (the default: the image's name decides).
OUTCOMES = {
    "task-fails": 3,
    "task-refused": 4,
    "task-never-finishes": NEVER,
    "task-unknown-status": UNKNOWN_FINAL,
}

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
class Task:
    """A task the simulator created: what a test can inspect (`sim.tasks`)."""

    task_id: str
    sub_task_ids: list[str]
    outcome: int  # the final status: 1, 3, 4, UNKNOWN_FINAL, or NEVER (it stays in progress)
    scenario: str  # the scenario it was created under
    ratio: int
    output_size: tuple[int, int]  # (width, height) of the image it "produces"
    notify_url: str | None
    created: float = field(default_factory=time.monotonic)
    reads: int = 0
    finished: bool = False  # made final without reads (its callback was sent)

    def status(self, task_seconds: float | None, now: float | None = None) -> int:
        """The status now. Per-read mode (task_seconds None) counts `reads`; otherwise the clock."""
        final = 2 if self.outcome == NEVER else self.outcome
        if self.finished:
            return final
        if task_seconds is None:
            return 0 if self.reads <= 1 else 2 if self.reads == 2 else final
        elapsed = (time.monotonic() if now is None else now) - self.created
        return 0 if elapsed < task_seconds / 2 else 2 if elapsed < task_seconds else final


class TaskBook:
    """The tasks the simulator created, and how often each was read."""

    def __init__(self, task_seconds: float | None = None) -> None:
        if task_seconds is not None and task_seconds < 0:
            raise ValueError(f"task_seconds must be >= 0 or None, got {task_seconds}")
        self.task_seconds = task_seconds
        self._tasks: dict[str, Task] = {}
        self._images: dict[str, Task] = {}
        self._lock = threading.Lock()
        self.reads = 0
        self.image_requests = 0
        self.image_requests_with_auth = 0

    def add(
        self, task_id: str, sub_task_ids: list[str], body: dict[str, Any], scenario: str = "faithful"
    ) -> Task:
        image = str(body.get("image", ""))
        # Only a URL has a name; base64 text holds "fail" or "unsafe" by chance (about one random
        # 4 KiB image in two hundred did, and a benchmark's task failed).
        lowered = image.lower() if image.startswith(("http://", "https://")) else ""
        outcome = OUTCOMES.get(scenario, 4 if "unsafe" in lowered else 3 if "fail" in lowered else 1)
        ratio = body.get("upsale_ratio")
        ratio = ratio if isinstance(ratio, int) and not isinstance(ratio, bool) and 0 < ratio <= 16 else 2
        notify = body.get("notify_url")
        task = Task(
            task_id,
            list(sub_task_ids),
            outcome,
            scenario,
            ratio,
            png.output_size(_source_size(image), ratio),
            notify if isinstance(notify, str) and notify else None,
        )
        with self._lock:
            self._tasks[task_id] = task
            for sub_task_id in sub_task_ids:
                self._images[sub_task_id] = task
        return task

    @property
    def tasks(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def read(self, task_id: str) -> tuple[list[str], int] | None:
        """The task's sub-tasks and status at this read (per-read mode: it advances), None if unknown."""
        with self._lock:
            self.reads += 1
            task = self._tasks.get(task_id)
            if task is None:
                return None
            task.reads += 1
            return task.sub_task_ids, task.status(self.task_seconds)

    def finish(self, task: Task) -> None:
        with self._lock:
            task.finished = True

    def image_task(self, sub_task_id: str) -> Task | None:
        with self._lock:
            return self._images.get(sub_task_id)

    def count_image(self, with_auth: bool) -> None:
        with self._lock:
            self.image_requests += 1
            self.image_requests_with_auth += with_auth


def _source_size(image: str) -> tuple[int, int]:
    if image.startswith(("http://", "https://")) or not image:
        return png.URL_INPUT_SIZE
    try:
        data = base64.b64decode(image[: 4096 - 4096 % 4], validate=False)  # the header is enough
    except (binascii.Error, ValueError):
        return png.URL_INPUT_SIZE
    return png.input_size(data) or png.URL_INPUT_SIZE


class Handler(Protocol):
    """What this module uses of the simulator's request handler."""

    headers: Any
    scenario: str  # the request's scenario (header, path or the server's)
    scenario_chosen: bool  # whether the request chose it (header or path) rather than the server

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
    """Answer a result read or an image request. `root`: the simulator's http://host:port."""
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
    task = book.get(task_id) if task_id else None
    if task is not None and not handler.scenario_chosen:
        mode = task.scenario  # a task keeps the scenario it was created under
    found = book.read(task_id) if task_id else None
    if found is None and mode == "result-accept-unknown-task" and task_id:
        found = ([], 0)
    if found is None:
        problem = "task_id: required" if not task_id else f"task_id: no such task {task_id!r}"
        handler._send(200, handler._error(CODE_NO_SUCH_TASK, problem))
        return
    envelope = envelope_for(mode, root, *found)
    if mode == "echo-token-result":
        envelope["message"] = f"Success (Authorization: {handler.headers.get('Authorization')})"
        for sub in envelope["result"].get("sub_task_results", []):
            sub["debug"] = {"authorization": handler.headers.get("Authorization")}
    handler._send(200, envelope)


def envelope_for(mode: str, root: str, sub_task_ids: list[str], status: int) -> dict[str, Any]:
    """The result read's envelope for a task at `status` (also the body of its callback)."""
    if mode == "result-unnamed-status" and status == 0:
        status = -1
    subs: list[dict[str, Any]] = []
    for sub_task_id in sub_task_ids:
        sub: dict[str, Any] = {"sub_task_id": sub_task_id, "task_status": status}
        if status == 1:
            moved = MOVED_FILES if mode == "result-image-redirect" else ""
            url = f"{root}{FILES_PREFIX}{moved}{sub_task_id}.png"
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
    name = path[len(FILES_PREFIX) :]
    if name.startswith(MOVED_FILES) and method in ("GET", "HEAD"):  # a storage host's redirect
        handler._send_raw(302, b"", "text/plain", extra={"Location": FILES_PREFIX + name[len(MOVED_FILES) :]})
        return
    task = book.image_task(name[: -len(".png")]) if name.endswith(".png") else None
    if method not in ("GET", "HEAD") or task is None:
        handler._send_raw(404, b"no such image", "text/plain")
        return
    handler._send_raw(200, _png_cached(task), "image/png")


_PNG_CACHE: dict[tuple[int, int], bytes] = {}
_PNG_LOCK = threading.Lock()


def _png_cached(task: Task) -> bytes:
    """The task's output PNG (one per size, kept: drawing a large one takes a moment)."""
    with _PNG_LOCK:
        data = _PNG_CACHE.get(task.output_size)
    if data is None:
        data = png.png(*task.output_size)
        with _PNG_LOCK:
            if len(_PNG_CACHE) > 32:
                _PNG_CACHE.clear()
            _PNG_CACHE[task.output_size] = data
    return data
