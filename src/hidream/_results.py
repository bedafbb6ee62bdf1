"""The result read's one hand-written piece: the generated operation in, a typed `TaskResult` out.

Envelope, errors, retries and timeouts are `_core`'s, as for the submit. What is here: the
`Endpoint` line, the retry policy a read may use (it creates nothing), and the mapping of the generated
model to `TaskResult` — the same mapping reads a `notify_url` callback's body (`_callbacks`).
The model itself (`TaskResult`, what its statuses mean) is the leaf module `_model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hidream_api_client.api.upscale import get_upscale_task_result
from hidream_api_client.models import GetUpscaleTaskResultOutcome, UpscaleTaskResult
from hidream_api_client.models import SubTaskResult as GeneratedSubTask

from hidream._core import Endpoint
from hidream._model import FINAL_STATUSES, SubTask, TaskResult, TaskStatus
from hidream._retry import RetryPolicy
from hidream.errors import HiDreamError, InvalidInputError, MalformedResponseError


def _parse(envelope: Mapping[str, Any]) -> tuple[Mapping[str, Any], GetUpscaleTaskResultOutcome]:
    """The answer as sent beside the generated model (whose parser would read `{}` as an empty list)."""
    return envelope, GetUpscaleTaskResultOutcome.from_dict(envelope)


RESULT = Endpoint(get_upscale_task_result, _parse)

__all__ = [
    "FINAL_STATUSES",
    "RESULT",
    "SubTask",
    "TaskResult",
    "TaskStatus",
    "read_policy",
    "result_params",
    "to_result",
]


def read_policy(policy: RetryPolicy) -> RetryPolicy:
    """The retry policy of a read: a GET creates nothing, so a read timeout, a dropped connection or a
    5xx may be retried too. The bounds (attempts, total time, backoff) stay the caller's."""
    return policy.replace(retry_timeouts=True, retry_server_errors=True)


def result_params(task_id: object) -> dict[str, Any]:
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidInputError(
            "task_id", f"must be the non-empty task id the submit returned, not {task_id!r}"
        )
    return {"task_id": task_id.strip()}


def to_result(
    raw: Mapping[str, Any],
    outcome: GetUpscaleTaskResultOutcome,
    task_id: str | None,
    *,
    error: type[HiDreamError] = MalformedResponseError,
    http_status: int | None = 200,
) -> TaskResult:
    """The typed result of a `code` 0 body: `raw` as sent, `outcome` its generated model.

    The generated parser is lenient (it reads `{}` as an empty list and keeps an object it cannot
    parse as a plain dict), so what the spec's `code` 0 branch requires is checked on `raw`, naming the
    field; `error` is raised for it. `http_status` None: a callback's body, not a response.
    """
    sent = raw.get("result")
    problem = _problem(sent.get("sub_task_results") if isinstance(sent, Mapping) else None)
    request_id = outcome.request_id if isinstance(outcome.request_id, str) else None
    if not problem and http_status is not None and request_id is None:
        problem = "request_id must be a string"
    named = sent.get("task_id") if isinstance(sent, Mapping) else None
    if not problem and task_id is not None and named is not None and named != task_id:
        # An answer about another task (a cache or a proxy mixing answers up): its images are not ours.
        problem = f"it answers for task {str(named)[:80]!r}, not for the task read, {task_id!r}"
    if problem:
        raise error(
            f"`code` 0 but the envelope is not a task result: {problem}",
            code=0,
            request_id=request_id,
            http_status=http_status,
        )
    result = outcome.result
    assert isinstance(result, UpscaleTaskResult)  # what _problem accepts, the generated parser reads
    assert isinstance(result.sub_task_results, list)
    return TaskResult(
        task_id=task_id if task_id is not None else named if isinstance(named, str) else None,
        sub_tasks=tuple(_sub_task(sub) for sub in result.sub_task_results),
        request_id=request_id,
        message=outcome.message if isinstance(outcome.message, str) else "",
        envelope=dict(raw),
    )


def _problem(subs: object) -> str:
    """Why `subs` (as sent) is not the list of sub-tasks the spec describes; "" if it is."""
    if not isinstance(subs, list):
        return "result must be an object whose sub_task_results is a list"
    for index, sub in enumerate(subs):
        where = f"result.sub_task_results[{index}]"
        if not isinstance(sub, Mapping):
            return f"{where} must be an object"
        if not isinstance(sub.get("sub_task_id"), str):
            return f"{where}.sub_task_id must be a string"
        status = sub.get("task_status")
        if isinstance(status, bool) or not isinstance(status, int):
            return f"{where}.task_status must be an integer"
        if not isinstance(sub.get("image"), str | None):
            return f"{where}.image must be a string"
    return ""


def _sub_task(sub: GeneratedSubTask) -> SubTask:
    image = sub.image if isinstance(sub.image, str) and sub.image else None
    return SubTask(sub_task_id=sub.sub_task_id, status=_status(sub.task_status), image=image)


def _status(value: int) -> TaskStatus | int:
    """The named status for a value the spec names; any other integer stays as it came (not final)."""
    try:
        return TaskStatus(value)
    except ValueError:
        return value
