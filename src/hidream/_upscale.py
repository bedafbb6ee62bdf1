"""`client.upscale`: the friendly methods of the spec's image operations — its inputs in, a typed task out.

Generic: an operation's inputs (keywords, types, allowed values) are the rows the spec generated
(`hidream_api_client.surface`, `make generate`), checked by `_inputs`; envelope, errors, retries and
timeouts are `_core`'s; the task's other methods (result, wait, download) come from `_tasks`. What is
written here per operation is one typed method (its `Unpack[...Inputs]` is generated): `submit` for
`submitUpscaleTask`. `send` reaches every image operation of the spec, typed or not (the CLI uses it);
tests/client/test_surface.py fails until each operation has its typed method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

import attrs
from hidream_api_client.surface import SUBMIT_UPSCALE_TASK, Operation, SubmitUpscaleTaskInputs

from hidream._core import NOT_GIVEN, DeadlineArg, Endpoint, NotGiven, TimeoutArg, redacting
from hidream._images import ImageInput
from hidream._inputs import fallback, request, row
from hidream._model import UpscaleTask
from hidream._results import TaskResult, read_policy
from hidream._tasks import AsyncTaskMethods, OnUpdate, TaskMethods
from hidream._wait import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, Poller
from hidream.errors import MalformedResponseError

if TYPE_CHECKING:
    from hidream._core import AsyncCore, SyncCore
    from hidream._retry import RetryPolicy

# What the submit sends when the caller leaves these out (`_inputs.fallback`: the spec's default, else its
# first allowed value); batch keys its manifest by them.
DEFAULT_RATIO: int = fallback(row(SUBMIT_UPSCALE_TASK, "upsale_ratio"))
DEFAULT_VERSION: str = fallback(row(SUBMIT_UPSCALE_TASK, "version"))


def endpoint(operation: Operation) -> Endpoint[Any]:
    """The `_core` endpoint of an image operation: its request builder, its envelope, a paid task."""
    return Endpoint(operation.module, operation.envelope.from_dict, creates="task_id")


SUBMIT = endpoint(SUBMIT_UPSCALE_TASK)


def to_task(envelope: Any) -> UpscaleTask:
    # The generated envelope types what both answers share; what `code` 0 adds (the spec's if/then:
    # `request_id`, a `result` with `task_id` and `sub_task_ids`) is checked here.
    result = envelope.result if attrs.has(type(envelope.result)) else None
    task_id = result.task_id if result else None
    ids = result.sub_task_ids if result else None
    request_id = envelope.request_id
    if (
        not isinstance(task_id, str)
        or not task_id  # an empty id cannot be read (the result read needs it): not a task
        or not isinstance(ids, list)
        or not all(isinstance(i, str) for i in ids)
        or not isinstance(request_id, str)
    ):
        raise MalformedResponseError(
            "`code` 0 but the envelope is not an accepted task: request_id must be a string, "
            "result an object whose task_id is a non-empty string and sub_task_ids a list of strings",
            code=0,
            request_id=request_id if isinstance(request_id, str) else None,
            http_status=200,
        )
    return UpscaleTask(
        task_id=task_id,
        sub_task_ids=tuple(ids),
        request_id=request_id,
        message=envelope.message,
        envelope=envelope.to_dict(),
    )


class Upscale(TaskMethods):
    """Image upscaling on a synchronous client."""

    def __init__(self, core: SyncCore, language: str | None) -> None:
        self._core = core
        self._language = language

    def send(
        self,
        operation: Operation,
        image: ImageInput,
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
        **inputs: object,
    ) -> UpscaleTask:
        """Create a task with any image operation of the spec (`hidream_api_client.surface.OPERATIONS`);
        its inputs are checked here, not by mypy: prefer the operation's typed method."""
        params = redacting(
            self._core.token,
            lambda: request(operation, image, inputs, defaults={"language": self._language}),
        )
        answer = self._core.call(endpoint(operation), params, timeout=timeout, retry=retry, deadline=deadline)
        return to_task(answer)

    def submit(
        self,
        image: ImageInput,
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
        **inputs: Unpack[SubmitUpscaleTaskInputs],
    ) -> UpscaleTask:
        """Create an upscale task (a billed task once accepted) and return it.

        `image`: an http(s) URL, a local path, raw bytes or base64 text (PNG, JPEG or WebP, at most
        10 MiB). The other keywords are the spec's inputs (`SubmitUpscaleTaskInputs`: `upsale_ratio`, the
        provider's spelling, `version`, `notify_url`, `request_id`, `language` for the service's messages,
        `user_id`...); None or left out: see `_inputs`. `timeout`/`retry`/`deadline` override the
        client's for this call. Raises `InvalidInputError` before sending, or a `HiDreamError` subclass after.
        """
        return self.send(
            SUBMIT_UPSCALE_TASK, image, timeout=timeout, retry=retry, deadline=deadline, **inputs
        )

    def submit_and_wait(
        self,
        image: ImageInput,
        *,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        **inputs: Unpack[SubmitUpscaleTaskInputs],
    ) -> TaskResult:
        """Submit once (a billed task once accepted), then `wait` for it; see `submit` and `wait`.

        The wait's arguments are checked before the submit, so a wrong one costs no task. `timeout` and
        `retry` apply to each request (the reads retry as `result` says); `wait_timeout` to the wait.
        """
        poller = Poller("(not submitted yet)", wait_timeout, poll_interval)
        task = self.submit(image, timeout=timeout, retry=retry, **inputs)
        poller.task_id = task.task_id
        return self._poll(poller, on_update, timeout, None if retry is None else read_policy(retry))


class AsyncUpscale(AsyncTaskMethods):
    """Image upscaling on an asynchronous client."""

    def __init__(self, core: AsyncCore, language: str | None) -> None:
        self._core = core
        self._language = language

    async def send(
        self,
        operation: Operation,
        image: ImageInput,
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
        **inputs: object,
    ) -> UpscaleTask:
        """Create a task with any image operation of the spec; see `Upscale.send`."""
        params = redacting(
            self._core.token,
            lambda: request(operation, image, inputs, defaults={"language": self._language}),
        )
        answer = await self._core.call(
            endpoint(operation), params, timeout=timeout, retry=retry, deadline=deadline
        )
        return to_task(answer)

    async def submit(
        self,
        image: ImageInput,
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
        **inputs: Unpack[SubmitUpscaleTaskInputs],
    ) -> UpscaleTask:
        """Create an upscale task; see `Upscale.submit`."""
        return await self.send(
            SUBMIT_UPSCALE_TASK, image, timeout=timeout, retry=retry, deadline=deadline, **inputs
        )

    async def submit_and_wait(
        self,
        image: ImageInput,
        *,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        **inputs: Unpack[SubmitUpscaleTaskInputs],
    ) -> TaskResult:
        """Submit once, then wait; see `HiDream.upscale.submit_and_wait`."""
        poller = Poller("(not submitted yet)", wait_timeout, poll_interval)
        task = await self.submit(image, timeout=timeout, retry=retry, **inputs)
        poller.task_id = task.task_id
        return await self._poll(poller, on_update, timeout, None if retry is None else read_policy(retry))
