"""The live check reads back the tasks its paid probes created: free, bounded, every answer validated.

(The drift modes of the result read are in tests/live/test_contract_live.py's DRIFT table with the others.)
"""

from __future__ import annotations

import pytest
import requests

from hidream_contract.live.findings import LiveResult
from hidream_contract.live.guard import (
    Budget,
    BudgetExhausted,
    CouldNotRun,
    GuardedAdapter,
    Traffic,
    guarded_session,
)
from hidream_contract.live.probes import paid_probes
from hidream_contract.live.results import RESULT, ReadAllowance
from hidream_contract.live.runner import LiveRun
from hidream_contract.live.settings import UsageError, load
from hidream_contract.spec import submit
from hidream_sim import StandIn, running_standin

TOKEN = "live-results-token"
PAID = len(paid_probes())  # the tasks a faithful run creates
FAST = {
    "HIDREAM_LIVE_MAX_RPS": "1000",
    "HIDREAM_LIVE_MAX_RETRY_WAIT_S": "0",
    "HIDREAM_LIVE_FUZZ_EXAMPLES": "0",
}


def live(mode: str, sleeps: list[float] | None = None, **env: str) -> tuple[LiveResult, StandIn]:
    with running_standin(mode, token=TOKEN) as standin:
        config = load({**FAST, "HIDREAM_API_TOKEN": TOKEN, "HIDREAM_API_BASE_URL": standin.base_url, **env})
        outcome = LiveRun(config, sleep=(sleeps.append if sleeps is not None else lambda _: None)).run()
    assert outcome.traffic.sent == standin.requests  # the reads went through the guard too
    return outcome, standin


def reads_of_tasks(outcome: LiveResult) -> list[str]:
    return [name for name in outcome.probes_run if name.startswith(RESULT.label + " of the task")]


def test_a_faithful_run_reads_every_created_task_until_final_at_no_extra_task() -> None:
    sleeps: list[float] = []
    outcome, standin = live("faithful", sleeps, HIDREAM_LIVE_RESULT_INTERVAL_S="2")
    assert outcome.exit_status == 0, outcome.findings
    assert standin.accepted_tasks == outcome.tasks_created == PAID  # the paid probes' tasks, nothing more
    # The stand-in's tasks are final at the third read: 3 rounds for every task, 2 s apart.
    assert len(reads_of_tasks(outcome)) == 3 * PAID
    assert sleeps.count(2.0) == 2
    assert f"{RESULT.label} of an unknown task_id" in outcome.probes_run
    assert f"{RESULT.label} without the token" in outcome.probes_run
    assert standin.book.reads == 3 * PAID + 1  # and the read without the token was refused before the book
    assert not outcome.drifts


def test_reads_are_bounded_when_a_task_never_finishes() -> None:
    # The statuses cannot be read in this mode, so no task ever looks final: the reads stop at the bound.
    outcome, standin = live("result-rename-status", HIDREAM_LIVE_RESULT_READS="3")
    assert len(reads_of_tasks(outcome)) == PAID * 3
    assert standin.accepted_tasks == PAID
    assert outcome.exit_status == 1


def test_a_task_not_final_within_the_reads_is_recorded_not_failed() -> None:
    outcome, _ = live("faithful", HIDREAM_LIVE_RESULT_READS="2")
    assert outcome.exit_status == 0
    notes = [f for f in outcome.findings if f.check == "task not final within the reads"]
    assert len(notes) == PAID
    assert all(f.kind == "recorded" for f in notes)


def test_reads_still_run_when_the_budget_is_spent() -> None:
    outcome, standin = live("faithful", HIDREAM_LIVE_MAX_BILLABLE="1")
    assert standin.accepted_tasks == 1
    assert len(reads_of_tasks(outcome)) == 3
    assert outcome.left_out  # the second paid probe; the reads were not refused


def test_a_harmless_variation_of_the_result_read_passes() -> None:
    for mode in ("result-extra-fields", "result-unnamed-status"):
        outcome, _ = live(mode)
        assert outcome.exit_status == 0, (mode, outcome.findings)


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_the_read_count_must_be_at_least_one(value: str) -> None:
    with pytest.raises(UsageError, match="HIDREAM_LIVE_RESULT_READS"):
        load({"HIDREAM_API_TOKEN": TOKEN, "HIDREAM_LIVE_RESULT_READS": value})


def adapter(budget: Budget, allowance: ReadAllowance) -> tuple[requests.Session, Traffic]:
    traffic = Traffic()
    guarded = GuardedAdapter(
        budget=budget,
        traffic=traffic,
        min_interval_s=0,
        timeout_s=5,
        deadline=float("inf"),
        retries=0,
        max_retry_wait_s=0,
        free_reads=allowance,
    )
    return guarded_session(guarded), traffic


def test_the_guard_sends_result_reads_outside_the_budget_and_within_their_allowance() -> None:
    with running_standin("faithful", token=TOKEN) as standin:
        budget = Budget(1)
        budget.accepted = 1  # spent: nothing that could create a task may leave
        session, traffic = adapter(budget, ReadAllowance(2))
        url = standin.base_url + RESULT.path
        for _ in range(2):
            assert session.get(url, params={"task_id": "t"}).status_code == 401  # answered; no token sent
        with pytest.raises(CouldNotRun, match="free result reads"):
            session.get(url, params={"task_id": "t"})
        with pytest.raises(BudgetExhausted):  # the submit path is no free read
            session.post(standin.base_url + submit().path, json={})
        with pytest.raises(BudgetExhausted):  # nor is a result GET that carries a body
            session.get(url, params={"task_id": "t"}, data=b"{}")
        session.close()
    assert traffic.sent == 2
    assert budget.possible == 1
