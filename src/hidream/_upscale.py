"""`client.upscale`: the one hand-written piece per operation — friendly arguments in, a typed task out.

Envelope, errors, retries and timeouts are `_core`'s; this file only checks arguments, encodes the
image and maps the generated success model to `UpscaleTask`. `submit_and_wait` is here, beside the
`submit` it calls; the task's other methods (result, wait, download) come from `_tasks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hidream_api_client.api.upscale import submit_upscale_task
from hidream_api_client.models import (
    AcceptLanguage,
    ModelVersion,
    SubmitUpscaleTaskOutcome,
    UpsaleRatio,
    UpscaleRequest,
)
from hidream_api_client.models import UpscaleTask as GeneratedTask
from hidream_api_client.types import UNSET

from hidream import _validation as check
from hidream._core import NOT_GIVEN, DeadlineArg, Endpoint, NotGiven, TimeoutArg, redacting
from hidream._images import ImageInput, prepare_image
from hidream._model import UpscaleTask
from hidream._results import TaskResult, read_policy
from hidream._tasks import AsyncTaskMethods, OnUpdate, TaskMethods
from hidream._wait import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, Poller
from hidream.errors import MalformedResponseError

if TYPE_CHECKING:
    from hidream._core import AsyncCore, SyncCore
    from hidream._retry import RetryPolicy

SUBMIT = Endpoint(submit_upscale_task, SubmitUpscaleTaskOutcome.from_dict, creates="task_id")
# The spec's defaults, as the generated model holds them. `upsale_ratio` is required there without
# one (a default on a required field says nothing); the provider's page calls 2 the default, so the
# client sends the generated member for 2 unless the spec ever declares a default of its own.
DEFAULT_RATIO: int = check.default(UpscaleRequest, "upsale_ratio", otherwise=UpsaleRatio.X2).value
DEFAULT_VERSION: str = check.default(UpscaleRequest, "version").value


def submit_params(
    *,
    image: ImageInput,
    upsale_ratio: object,
    notify_url: str | None,
    version: object,
    request_id: str | None,
    language: object,
    user_id: str | None,
) -> dict[str, Any]:
    """The generated operation's arguments, every field checked before anything is sent."""
    body = UpscaleRequest(
        image=prepare_image(image),
        upsale_ratio=check.choice("upsale_ratio", upsale_ratio, UpsaleRatio),
        version=check.choice("version", version, ModelVersion),
        notify_url=UNSET if notify_url is None else check.check_url(notify_url, field="notify_url"),
        request_id=UNSET if request_id is None else check.text("request_id", request_id),
    )
    return {
        "body": body,
        "x_accept_language": UNSET
        if language is None
        else check.choice("language", language, AcceptLanguage),
        "api_user_id": UNSET if user_id is None else check.header_text("user_id", user_id),
    }


def to_task(envelope: SubmitUpscaleTaskOutcome) -> UpscaleTask:
    # The generated envelope types what both answers share; what `code` 0 adds (the spec's if/then:
    # `request_id`, a `result` with `task_id` and `sub_task_ids`) is checked here.
    result = envelope.result if isinstance(envelope.result, GeneratedTask) else None
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


def _given(**arguments: object) -> dict[str, Any]:
    """The submit arguments the caller gave (the submit's own defaults apply to the others)."""
    return {name: value for name, value in arguments.items() if not isinstance(value, NotGiven)}


class Upscale(TaskMethods):
    """Image upscaling on a synchronous client."""

    def __init__(self, core: SyncCore, language: str | None) -> None:
        self._core = core
        self._language = language

    def submit(
        self,
        image: ImageInput,
        *,
        upsale_ratio: int = DEFAULT_RATIO,
        notify_url: str | None = None,
        version: str = DEFAULT_VERSION,
        request_id: str | None = None,
        language: str | None = None,
        user_id: str | None = None,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
    ) -> UpscaleTask:
        """Create an upscale task (a billed task once accepted) and return it.

        `image`: an http(s) URL, a local path, raw bytes or base64 text (PNG, JPEG or WebP, at most
        10 MiB). `upsale_ratio`: 2 or 4 (the provider's spelling). `language`: "en" or "zh" for the
        service's messages. `timeout`/`retry`/`deadline` override the client's for this call.
        Raises `InvalidInputError` before sending, or a `HiDreamError` subclass after.
        """
        params = redacting(
            self._core.token,
            lambda: submit_params(
                image=image,
                upsale_ratio=upsale_ratio,
                notify_url=notify_url,
                version=version,
                request_id=request_id,
                language=language if language is not None else self._language,
                user_id=user_id,
            ),
        )
        return to_task(self._core.call(SUBMIT, params, timeout=timeout, retry=retry, deadline=deadline))

    def submit_and_wait(
        self,
        image: ImageInput,
        *,
        upsale_ratio: int | NotGiven = NOT_GIVEN,
        notify_url: str | None = None,
        version: str | NotGiven = NOT_GIVEN,
        request_id: str | None = None,
        language: str | None = None,
        user_id: str | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
    ) -> TaskResult:
        """Submit once (a billed task once accepted), then `wait` for it; see `submit` and `wait`.

        The wait's arguments are checked before the submit, so a wrong one costs no task. `timeout` and
        `retry` apply to each request (the reads retry as `result` says); `wait_timeout` to the wait.
        """
        poller = Poller("(not submitted yet)", wait_timeout, poll_interval)
        task = self.submit(
            image,
            **_given(upsale_ratio=upsale_ratio, version=version),
            notify_url=notify_url,
            request_id=request_id,
            language=language,
            user_id=user_id,
            timeout=timeout,
            retry=retry,
        )
        poller.task_id = task.task_id
        return self._poll(poller, on_update, timeout, None if retry is None else read_policy(retry))


class AsyncUpscale(AsyncTaskMethods):
    """Image upscaling on an asynchronous client."""

    def __init__(self, core: AsyncCore, language: str | None) -> None:
        self._core = core
        self._language = language

    async def submit(
        self,
        image: ImageInput,
        *,
        upsale_ratio: int = DEFAULT_RATIO,
        notify_url: str | None = None,
        version: str = DEFAULT_VERSION,
        request_id: str | None = None,
        language: str | None = None,
        user_id: str | None = None,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
    ) -> UpscaleTask:
        """Create an upscale task; see `Upscale.submit`."""
        params = redacting(
            self._core.token,
            lambda: submit_params(
                image=image,
                upsale_ratio=upsale_ratio,
                notify_url=notify_url,
                version=version,
                request_id=request_id,
                language=language if language is not None else self._language,
                user_id=user_id,
            ),
        )
        return to_task(await self._core.call(SUBMIT, params, timeout=timeout, retry=retry, deadline=deadline))

    async def submit_and_wait(
        self,
        image: ImageInput,
        *,
        upsale_ratio: int | NotGiven = NOT_GIVEN,
        notify_url: str | None = None,
        version: str | NotGiven = NOT_GIVEN,
        request_id: str | None = None,
        language: str | None = None,
        user_id: str | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
    ) -> TaskResult:
        """Submit once, then wait; see `HiDream.upscale.submit_and_wait`."""
        poller = Poller("(not submitted yet)", wait_timeout, poll_interval)
        task = await self.submit(
            image,
            **_given(upsale_ratio=upsale_ratio, version=version),
            notify_url=notify_url,
            request_id=request_id,
            language=language,
            user_id=user_id,
            timeout=timeout,
            retry=retry,
        )
        poller.task_id = task.task_id
        return await self._poll(poller, on_update, timeout, None if retry is None else read_policy(retry))
