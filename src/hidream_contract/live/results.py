"""The result read, checked live at no extra paid task (issue 13).

After the planned probes, the tasks the run created are read back with `getUpscaleTaskResult` — free
GETs that name no image, so no task can come of them. Each task is read at most
HIDREAM_LIVE_RESULT_READS times (default 4), HIDREAM_LIVE_RESULT_INTERVAL_S apart (default 5 s, the
provider's own client's interval), until its status is final; the reads stop early rather than pass
the run's time limit. Every answer is validated against the spec's response for its status, by field,
with the if/then the spec gives `code` 0. The spec links the submit's `result.task_id` to this read's
`task_id`, so every task id an accepted submit returns is read, also one the read cannot take (an
empty string): the read must accept it (2xx, code 0), or it is drift (`result_readable`).
Two more free reads: one without the token (must be
refused) and one of a task id nobody created (must be rejected: 4xx or a non-zero `code`). A run
that created no task reads nothing.

The guard (guard.py) lets exactly these requests through without counting them against the budget:
`ReadAllowance.covers` says which (a body-less GET of the result path), and the allowance is bounded
by the reads planned here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import requests

from hidream_contract.live.checks import (
    _explain,
    _what_was_sent,
    describe,
    envelope_or_not_json,
    header,
    is_acceptance,
    is_rejection,
)
from hidream_contract.live.findings import LiveResult, Observation
from hidream_contract.live.guard import TRANSIENT_STATUSES, CouldNotRun, DeadlineExceeded, NoAnswer
from hidream_contract.live.requests_model import spec, validator_for
from hidream_contract.live.wire import Wire
from hidream_contract.spec import load, resolve, result_read

RESULT = result_read()
OPERATION = f"{RESULT.label} ({RESULT.operation_id})"
EXTRA_READS = 2  # the read without the token and the read of an unknown task id


def final_statuses() -> frozenset[int]:
    """The spec's `x-final` statuses (TaskStatus)."""
    return frozenset(load()["components"]["schemas"]["TaskStatus"]["x-final"])


class ReadAllowance:
    """Which requests are free result reads, and how many may go (the guard asks before each)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def covers(self, request: requests.PreparedRequest) -> bool:
        path = urlsplit(request.url or "").path
        return request.method == "GET" and not request.body and path.endswith(RESULT.path)

    def take(self, what: str) -> None:
        if self.used >= self.limit:
            raise CouldNotRun(f"refused {what}: the {self.limit} free result reads planned are spent")
        self.used += 1


def _response_schema(status: int) -> dict[str, Any] | None:
    operation = spec()["paths"][RESULT.path][RESULT.method.lower()]
    response = operation["responses"].get(str(status))
    media = resolve(response).get("content", {}).get("application/json") if response else None
    return resolve(media["schema"]) if media and "schema" in media else None


class ResultReads:
    """Notes the tasks a run created, then reads them; findings go to the run's outcome."""

    def __init__(
        self, *, reads_per_task: int, interval_s: float, tasks_limit: int, sleep: Callable[[float], None]
    ):
        self.reads_per_task = reads_per_task
        self.interval_s = interval_s
        self.allowance = ReadAllowance(tasks_limit * reads_per_task + EXTRA_READS)
        self._sleep = sleep
        self.tasks: list[tuple[str, str]] = []  # (probe that created it, task id)

    def note(self, probe: str, response: Any) -> None:
        """Keep the task id of an accepted answer (what the paid probes created)."""
        if not is_acceptance(response):
            return
        envelope = envelope_or_not_json(response)
        result = envelope.get("result") if isinstance(envelope, dict) else None
        task_id = result.get("task_id") if isinstance(result, dict) else None
        if isinstance(task_id, str):  # an empty one too: the read must take what the submit gave
            self.tasks.append((probe, task_id))

    # --- the reads ------------------------------------------------------------------------------
    def run(self, wire: Wire, outcome: LiveResult, *, timeout_s: float) -> None:
        """Read every noted task until final (bounded), then the two free negatives. Nothing when the
        run created no task: the result read is about tasks (and the submit is what failed)."""
        if not self.tasks:
            return
        live = _Reading(wire, outcome, timeout_s)
        try:
            self._read_tasks(live)
            self._read(live, f"{RESULT.label} without the token", self.tasks[0][1], token=False)
            self._read(live, f"{RESULT.label} of an unknown task_id", f"unknown-{uuid.uuid4()}", unknown=True)
        except DeadlineExceeded as exc:
            outcome.inconclusive.append(f"result reads stopped: {exc}")

    def _read_tasks(self, live: _Reading) -> None:
        final = final_statuses()
        pending = list(self.tasks)
        for round_number in range(1, self.reads_per_task + 1):
            still: list[tuple[str, str]] = []
            for probe, task_id in pending:
                name = f"{RESULT.label} of the task of '{probe}' (read {round_number})"
                statuses = self._read(live, name, task_id)
                if statuses is None or not statuses or not set(statuses) <= final:
                    still.append((probe, task_id))
            pending = still
            if not pending or round_number == self.reads_per_task:
                break
            if live.wire.time_left() < self.interval_s + live.timeout_s:
                live.outcome.inconclusive.append(
                    f"result reads stopped before the run's time limit; {len(pending)} task(s) not final"
                )
                return
            self._sleep(self.interval_s)
        for probe, task_id in pending:
            live.outcome.findings.append(
                self._note(
                    "recorded",
                    f"{RESULT.label} of the task of '{probe}'",
                    "task not final within the reads",
                    "task_status",
                    f"final statuses are {sorted(final)}; the spec says nothing of how long a task takes",
                    f"task {task_id} was not final after {self.reads_per_task} reads "
                    f"{self.interval_s:g} s apart",
                    "",
                )
            )

    def _read(
        self, live: _Reading, name: str, task_id: str, *, token: bool = True, unknown: bool = False
    ) -> list[Any] | None:
        """One read, checked; the sub-tasks' statuses of an accepted answer (None: no verdict)."""
        headers = {"Authorization": live.wire.authorization} if token else {}
        url = live.wire.base_url + RESULT.path
        try:
            response = live.wire.session.get(url, params={"task_id": task_id}, headers=headers)
        except NoAnswer as exc:
            live.outcome.inconclusive.append(f"{name}: {exc}")
            return None
        live.outcome.probes_run.append(name)
        curl = live.wire.curl(response.request)
        if response.status_code in TRANSIENT_STATUSES:
            live.outcome.inconclusive.append(f"{name}: {describe(response)} (reads are not retried)")
            return None
        if not 300 <= response.status_code < 400:
            live.outcome.operations_answered.add(RESULT.label)
        before = len(live.outcome.findings)
        self._conforms(live, name, response, curl)
        if not token or unknown:
            if not is_rejection(response) and response.status_code < 300:
                what = "a read without the token" if not token else "a read of a task id nobody created"
                check, field = (
                    ("auth_enforced", "Authorization") if not token else ("unknown_task_rejected", "task_id")
                )
                live.outcome.findings.append(
                    self._note(
                        "drift",
                        name,
                        check,
                        field,
                        f"{what} is rejected (4xx, or code != 0)",
                        describe(response),
                        curl,
                    )
                )
            return None
        if not is_acceptance(response):
            live.outcome.findings.append(
                self._note(
                    "drift",
                    name,
                    "result_readable",
                    "task_id",
                    "a task the submit accepted can be read (2xx, code 0) by the `result.task_id` it "
                    f"returned ({task_id!r})",
                    describe(response),
                    curl,
                )
            )
            return None
        if len(live.outcome.findings) > before:
            return None  # not the spec's shape: no status to go on
        envelope = envelope_or_not_json(response)
        subs = envelope["result"]["sub_task_results"]
        return [sub.get("task_status") for sub in subs]

    def _conforms(self, live: _Reading, name: str, response: Any, curl: str) -> None:
        status = response.status_code
        if status not in RESULT.statuses:
            documented = ", ".join(map(str, sorted(RESULT.statuses)))
            live.outcome.findings.append(
                self._note(
                    "drift",
                    name,
                    "status_code_conformance",
                    "HTTP status",
                    f"the operation answers {documented}",
                    describe(response),
                    curl,
                )
            )
            return
        schema = _response_schema(status)
        if schema is None:
            return
        content_type = header(response, "Content-Type")
        if not content_type.split(";")[0].strip().lower().endswith("json"):
            live.outcome.findings.append(
                self._note(
                    "drift",
                    name,
                    "content_type_conformance",
                    "Content-Type",
                    f"HTTP {status} is application/json",
                    f"labelled it {content_type!r}",
                    curl,
                )
            )
            return
        envelope = envelope_or_not_json(response)
        error = jsonschema.exceptions.best_match(validator_for(schema).iter_errors(envelope))
        if error is not None:
            field, said = _explain(error)
            live.outcome.findings.append(
                self._note(
                    "drift",
                    name,
                    "result_conformance",
                    field,
                    f"{schema.get('title', f'the HTTP {status} answer')}: {said}",
                    _what_was_sent(error, envelope) if isinstance(envelope, dict) else describe(response),
                    curl,
                )
            )

    @staticmethod
    def _note(
        kind: str, probe: str, check: str, field: str, spec_says: str, service_did: str, reproduce: str
    ) -> Observation:
        return Observation(kind, probe, check, field, spec_says, service_did, reproduce, operation=OPERATION)


class _Reading:
    """What the reads of one run use: its wire, and the outcome their findings go to."""

    def __init__(self, wire: Wire, outcome: LiveResult, timeout_s: float) -> None:
        self.wire = wire
        self.outcome = outcome
        self.timeout_s = timeout_s
