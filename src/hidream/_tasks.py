"""The task's life on `client.upscale`: read its result, wait for it, submit and wait, download the image.

`Upscale` and `AsyncUpscale` inherit these methods, which need nothing of theirs but the client's core:
a result read is one `Endpoint` call through the client's machinery (`_results`); a wait is result
reads on a bounded schedule (`_wait`) and never submits. `submit_and_wait`, which submits, lives beside
`submit` in `_upscale`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hidream import _wait  # the module: tests replace its clock
from hidream._core import NOT_GIVEN, DeadlineArg, NotGiven, TimeoutArg
from hidream._download import (
    DEFAULT_DOWNLOAD_DEADLINE,
    MAX_DOWNLOAD_BYTES,
    Plan,
    adownload,
    download,
    numbered,
    plan,
)
from hidream._results import RESULT, TaskResult, read_policy, result_params, to_result
from hidream._wait import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, Poller, finished
from hidream.errors import HiDreamError, InvalidInputError

if TYPE_CHECKING:
    from hidream._core import AsyncCore, SyncCore
    from hidream._retry import RetryPolicy

OnUpdate = Callable[[TaskResult], object]


def _plans(
    source: object,
    path: object,
    max_bytes: object,
    deadline: object,
    overwrite: bool = True,
    within: str | os.PathLike[str] | None = None,
) -> list[Plan]:
    """One checked download per output image of `source` (a succeeded `TaskResult` or an image URL)."""
    if isinstance(source, TaskResult):
        if not source.images:
            raise InvalidInputError(
                "source", f"task {source.task_id} has no output image (status: {source.status.name.lower()})"
            )
        urls = list(source.images)
    elif isinstance(source, str):
        urls = [source]
    else:
        raise InvalidInputError(
            "source", f"must be a TaskResult or an image URL, not {type(source).__name__}"
        )
    if not isinstance(path, str | os.PathLike):
        raise InvalidInputError("path", f"must be a file path, not {type(path).__name__}")
    targets = numbered(Path(path), len(urls))
    return [
        plan(url, target, max_bytes, deadline, overwrite=overwrite, within=within)
        for url, target in zip(urls, targets, strict=True)
    ]


class TaskMethods:
    """The task's life on a synchronous client."""

    _core: SyncCore

    def result(
        self,
        task_id: str,
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
    ) -> TaskResult:
        """Read a task's result once (a GET: it creates nothing and costs nothing).

        Read timeouts, dropped connections and 5xx are retried too, within the client's retry bounds
        (`retry=` replaces that policy for this read; `deadline=` bounds it, retries included).
        An answer about another task than `task_id` is a `MalformedResponseError`.
        """
        params = result_params(task_id)
        policy = retry if retry is not None else read_policy(self._core.retry)
        raw, outcome = self._core.call(RESULT, params, timeout=timeout, retry=policy, deadline=deadline)
        return to_result(raw, outcome, params["task_id"])

    def wait(
        self,
        task_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        request_timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
    ) -> TaskResult:
        """Read the task's result until it is final; return it if it succeeded.

        `timeout`: seconds to wait in all; `poll_interval`: the longest pause between reads (the
        first read is at once, then 1, 2, 4… seconds up to it). `on_update` is called with every
        result read. Raises `TaskFailedError` / `TaskRefusedError` (safety review) for a task that
        ended without its image, `WaitTimeoutError` (naming the task) when the time is up.
        """
        poller = Poller(result_params(task_id)["task_id"], timeout, poll_interval)
        return self._poll(poller, on_update, request_timeout, retry)

    def _poll(
        self,
        poller: Poller,
        on_update: OnUpdate | None,
        request_timeout: TimeoutArg | NotGiven,
        retry: RetryPolicy | None,
    ) -> TaskResult:
        poller.start()
        while True:
            deadline = poller.read_deadline(self._core.deadline)
            try:
                result = self.result(poller.task_id, timeout=request_timeout, retry=retry, deadline=deadline)
            except HiDreamError as error:
                timed_out = poller.failed(error)
                if timed_out is None:
                    raise
            else:
                timed_out = None
            if timed_out is not None:
                raise timed_out from None
            if on_update is not None:
                on_update(result)
            if result.is_final:
                return finished(result)
            _wait._sleep(poller.next_delay(result))

    def download(
        self,
        source: TaskResult | str,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        deadline: float = DEFAULT_DOWNLOAD_DEADLINE,
        overwrite: bool = True,
        within: str | os.PathLike[str] | None = None,
    ) -> list[Path]:
        """Download the output image(s) of a succeeded `TaskResult` (or one image URL) to `path`.

        One image goes to `path`; several to `name-1.ext`, `name-2.ext`… The API token is never sent.
        Each image: at most `max_bytes`, within `deadline` seconds, a PNG/JPEG/WebP, written atomically
        (a failure leaves no file, and an existing file unchanged). Raises `DownloadError`.
        `overwrite=False` keeps an existing file (`InvalidInputError`, nothing downloaded); a read-only
        file is kept always; a device or FIFO (`/dev/null`) is written in place, never renamed over;
        `within=FOLDER` refuses a path that leads out of FOLDER through `..` or a link.
        """
        plans = _plans(source, path, max_bytes, deadline, overwrite, within)
        return [download(self._core.http, each) for each in plans]


class AsyncTaskMethods:
    """The task's life on an asynchronous client; see `TaskMethods` for each method."""

    _core: AsyncCore

    async def result(
        self,
        task_id: str,
        *,
        timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: DeadlineArg | NotGiven = NOT_GIVEN,
    ) -> TaskResult:
        """Read a task's result once; see `HiDream.upscale.result`."""
        params = result_params(task_id)
        policy = retry if retry is not None else read_policy(self._core.retry)
        raw, outcome = await self._core.call(RESULT, params, timeout=timeout, retry=policy, deadline=deadline)
        return to_result(raw, outcome, params["task_id"])

    async def wait(
        self,
        task_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        request_timeout: TimeoutArg | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
    ) -> TaskResult:
        """Wait for the task to be final; see `HiDream.upscale.wait`."""
        poller = Poller(result_params(task_id)["task_id"], timeout, poll_interval)
        return await self._poll(poller, on_update, request_timeout, retry)

    async def _poll(
        self,
        poller: Poller,
        on_update: OnUpdate | None,
        request_timeout: TimeoutArg | NotGiven,
        retry: RetryPolicy | None,
    ) -> TaskResult:
        poller.start()
        while True:
            deadline = poller.read_deadline(self._core.deadline)
            try:
                result = await self.result(
                    poller.task_id, timeout=request_timeout, retry=retry, deadline=deadline
                )
            except HiDreamError as error:
                timed_out = poller.failed(error)
                if timed_out is None:
                    raise
            else:
                timed_out = None
            if timed_out is not None:
                raise timed_out from None
            if on_update is not None:
                on_update(result)
            if result.is_final:
                return finished(result)
            await _wait._async_sleep(poller.next_delay(result))

    async def download(
        self,
        source: TaskResult | str,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        deadline: float = DEFAULT_DOWNLOAD_DEADLINE,
        overwrite: bool = True,
        within: str | os.PathLike[str] | None = None,
    ) -> list[Path]:
        """Download the output image(s); see `HiDream.upscale.download`."""
        plans = _plans(source, path, max_bytes, deadline, overwrite, within)
        return [await adownload(self._core.http, each) for each in plans]
