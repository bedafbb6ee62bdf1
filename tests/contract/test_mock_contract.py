"""The contract run: schemathesis fuzzes the spec's Prism mock with positive and negative data.

Every answer is checked against the spec (status, content type, headers, body schema) and against
the data-acceptance checks; Prism's two known quirks are handled by src/hidream_contract/mock_checks.py.
Then the stateful phase chains the operations along the spec's links: a submit, then the result read
of the `task_id` it answered (the `GetUpscaleTaskResult` link).
The settings live in config/schemathesis.toml; CONTRACT_SEED and CONTRACT_MAX_EXAMPLES
override the seed and the fuzzing budget, CONTRACT_REPORT_DIR where the summary goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

from bench.workflow import requests_in_summary
from hidream_contract.mock_checks import MOCK_CHECKS, MOCK_EXCLUDED_CHECKS
from hidream_contract.project import CONFIG, MOCK_CONTRACT_TEST, REPORTS, ROOT
from hidream_contract.run_stats import RunStats, min_requests, write_summary
from hidream_contract.spec import SPEC_PATH, response_examples, result_read, submit

pytestmark = [pytest.mark.contract, pytest.mark.prism, pytest.mark.slow]  # slow: the whole run


def _load_config() -> SchemathesisConfig:
    config = SchemathesisConfig.from_path(CONFIG / "schemathesis.toml")
    project = config.projects.default
    if seed := os.environ.get("CONTRACT_SEED"):
        project.seed = int(seed)
    if max_examples := os.environ.get("CONTRACT_MAX_EXAMPLES"):
        project.generation.update(max_examples=int(max_examples))
    return config


schema = schemathesis.openapi.from_path(SPEC_PATH, config=_load_config())
STATS = RunStats()
RAN: set[str] = set()  # the stateless cases (node ids) this process ran: the floor counts them


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:  # keep-alive: the run is thousands of requests
        yield session


@pytest.fixture(scope="module", autouse=True)
def contract_summary(mock_base_url: str) -> Iterator[None]:
    yield
    floor = min_requests()
    outcome = "passed" if STATS.requests >= floor else f"too few requests (< {floor})"
    seed = schema.config.seed
    write_summary(
        Path(os.environ.get("CONTRACT_REPORT_DIR", REPORTS)) / "contract-summary.md",
        STATS.markdown(title="Mock contract run", seed=seed, base_url=mock_base_url, outcome=outcome),
    )


@schema.parametrize()
def test_mock_conforms_to_spec(
    case: Any, mock_base_url: str, http: requests.Session, request: pytest.FixtureRequest
) -> None:
    RAN.add(request.node.nodeid)
    response = case.call(base_url=mock_base_url, session=http)
    STATS.record(
        phase=case.meta.phase.name.value,
        mode=case.meta.generation.mode.value,
        method=case.method,
        status=response.status_code,
    )
    case.validate_response(response, excluded_checks=MOCK_EXCLUDED_CHECKS, additional_checks=MOCK_CHECKS)


class MockWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    """The stateful phase against the mock: every step checked as in the stateless run."""

    base_url = ""
    linked_reads = 0  # result reads whose task_id came from a submit's answer (the link)

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"base_url": self.base_url}

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        STATS.record(phase="stateful", mode="linked", method=case.method, status=response.status_code)
        if case.operation.path == result_read().path and (case.query or {}).get("task_id") == MOCK_TASK_ID:
            type(self).linked_reads += 1
        case.validate_response(response, excluded_checks=MOCK_EXCLUDED_CHECKS, additional_checks=MOCK_CHECKS)


# The task id the mock's submit always answers (its first 200 example): a result read carrying it
# got it from the link, since no generator would produce it.
MOCK_TASK_ID = response_examples(submit().operation_id)[(200, "accepted")]["result"]["task_id"]


def test_stateful_chain_reads_the_submitted_task(mock_base_url: str) -> None:
    stateful = schema.config.phases.stateful
    assert stateful.enabled, "config/schemathesis.toml turns the stateful phase on"
    MockWorkflow.base_url = mock_base_url
    MockWorkflow.run(
        settings=hypothesis.settings(
            max_examples=int(os.environ.get("CONTRACT_STATEFUL_EXAMPLES", "30")),
            stateful_step_count=stateful.max_steps or 6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
    assert MockWorkflow.linked_reads > 0, "no result read followed a submit through the link"


def requests_sent_by_a_child_run(mock_base_url: str, report_dir: Path) -> int:
    """The whole run (stateless and stateful) in a child pytest; its count, read from its summary."""
    env = {**os.environ, "MOCK_BASE_URL": mock_base_url, "CONTRACT_REPORT_DIR": str(report_dir)}
    child = subprocess.run(
        [sys.executable, "-m", "pytest", MOCK_CONTRACT_TEST, "-p", "no:cacheprovider", "-p", "no:randomly",
         "-q", "--deselect", f"{MOCK_CONTRACT_TEST}::test_run_sent_enough_requests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    return requests_in_summary(report_dir / "contract-summary.md")


def test_run_sent_enough_requests(request: pytest.FixtureRequest, mock_base_url: str, tmp_path: Path) -> None:
    """A run that sent too little proves little. In the full run (make contract) the stateless cases
    ran before this test in this process (tests/contract/conftest.py keeps it last, random order
    included) and their count is read here; run alone, or apart from them, it makes the run itself."""
    stateless = test_mock_conforms_to_spec.__name__
    cases = {item.nodeid for item in request.session.items if getattr(item, "originalname", "") == stateless}
    sent = STATS.requests if cases and cases <= RAN else requests_sent_by_a_child_run(mock_base_url, tmp_path)
    assert sent >= min_requests(), (
        f"the contract run sent {sent} requests; at least {min_requests()} are required "
        "(raise max-examples in config/schemathesis.toml)"
    )
