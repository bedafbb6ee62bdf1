"""The client's result model: an accepted task, a task's result, its sub-tasks and their statuses.

A leaf module: it imports nothing of the client (only the generated status enum), so `errors`, the
pipeline and the CLI can all name these types without an import circle.

What a task's sub-task statuses mean is the provider's own client's rule (HiDream-ai/hidream-api-gen,
commit 34bfecc, scripts/common/task_client.py lines 100-140): -5..-1, 0 and 2 are transient; any
sub-task at 3 or 4 ends the task as failed at once; all at 1 *and* an output image ends it as a
success (all at 1 without an image: still waiting); all at values that are neither transient nor 1
end it at once in a state the client cannot name. Anything else (mixed): not final, read again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from hidream_api_client.models import KnownTaskStatus

TaskStatus = KnownTaskStatus
"""A sub-task's state, as the spec names it: QUEUED 0, SUCCEEDED 1, IN_PROGRESS 2, FAILED 3, REFUSED 4."""

FINAL_STATUSES: Final = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.REFUSED})
"""The spec's `x-final` (a test holds the two equal): after these, a sub-task no longer changes."""

TRANSIENT_STATUSES: Final = frozenset({-5, -4, -3, -2, -1, TaskStatus.QUEUED, TaskStatus.IN_PROGRESS})
"""The provider's client's `transient_statuses`: the task is still on its way."""

FAILURE_STATUSES: Final = frozenset({TaskStatus.FAILED, TaskStatus.REFUSED})


@dataclass(frozen=True)
class UpscaleTask:
    """An accepted upscale task (`code` 0); the upscaled image comes later, a sub-task per image."""

    task_id: str
    sub_task_ids: tuple[str, ...]
    request_id: str
    message: str
    envelope: Mapping[str, Any] = field(repr=False, compare=False)
    """The response envelope as the service sent it (the token redacted)."""


@dataclass(frozen=True)
class SubTask:
    """One sub-task (one output image): its status and, once it succeeded, its image URL."""

    sub_task_id: str
    status: TaskStatus | int
    """A `TaskStatus`, or the plain integer when the spec names no such value."""
    image: str | None

    @property
    def is_final(self) -> bool:
        """This sub-task will not change any more (the spec's `x-final`)."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class TaskResult:
    """A task's state as the result read (or a `notify_url` callback) reported it."""

    task_id: str | None
    """The task read; None only for a callback body that does not name its task."""
    sub_tasks: tuple[SubTask, ...]
    request_id: str | None
    message: str
    envelope: Mapping[str, Any] = field(repr=False, compare=False)
    """The answer (or the callback's body) as the service sent it (the token redacted)."""

    @property
    def unknown_statuses(self) -> tuple[int, ...]:
        """The statuses that are neither transient, nor success, nor failure (in order, once each)."""
        known = TRANSIENT_STATUSES | {TaskStatus.SUCCEEDED} | FAILURE_STATUSES
        return tuple(dict.fromkeys(int(s.status) for s in self.sub_tasks if s.status not in known))

    @property
    def ended_unknown(self) -> bool:
        """Every sub-task is at a status the provider's client does not know: the task stopped."""
        return (
            bool(self.sub_tasks)
            and len(self.unknown_statuses) > 0
            and all(
                sub.status not in TRANSIENT_STATUSES and sub.status != TaskStatus.SUCCEEDED
                for sub in self.sub_tasks
            )
        )

    @property
    def is_final(self) -> bool:
        """The task will not change any more: a sub-task failed, all succeeded with an output image,
        or all ended at statuses the client cannot name (see the module's docstring)."""
        statuses = [sub.status for sub in self.sub_tasks]
        if not statuses:
            return False
        if any(status in FAILURE_STATUSES for status in statuses):
            return True
        if all(status == TaskStatus.SUCCEEDED for status in statuses):
            return bool(self.images)
        return self.ended_unknown

    @property
    def status(self) -> TaskStatus:
        """The task's status: REFUSED or FAILED as soon as any sub-task is; SUCCEEDED once all are
        and there is an output; FAILED when all ended at unknown statuses; before that QUEUED while
        nothing has started, else IN_PROGRESS."""
        statuses = [sub.status for sub in self.sub_tasks]
        for worst in (TaskStatus.REFUSED, TaskStatus.FAILED):
            if worst in statuses:
                return worst
        if statuses and all(status == TaskStatus.SUCCEEDED for status in statuses) and self.images:
            return TaskStatus.SUCCEEDED
        if self.ended_unknown:
            return TaskStatus.FAILED
        if all(status == TaskStatus.QUEUED for status in statuses):
            return TaskStatus.QUEUED
        return TaskStatus.IN_PROGRESS

    @property
    def succeeded(self) -> bool:
        return self.status is TaskStatus.SUCCEEDED

    @property
    def images(self) -> tuple[str, ...]:
        """The output image URLs of the sub-tasks that succeeded, in order."""
        return tuple(s.image for s in self.sub_tasks if s.status == TaskStatus.SUCCEEDED and s.image)
