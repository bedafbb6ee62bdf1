"""The suite can fail: Prism serves a deliberately broken copy of the spec while schemathesis
validates against the real one, and the real contract run must report the mismatch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hidream_contract.mock import running_mock
from hidream_contract.project import MOCK_CONTRACT_TEST, ROOT
from hidream_contract.spec import load, submit

pytestmark = [pytest.mark.prism, pytest.mark.slow]  # each test is a whole contract run


def broken_spec(tmp_path: Path) -> Path:
    """The spec with `result.task_id` renamed to `taskId`, in the schema and in the example Prism serves."""
    spec = load()
    task = spec["components"]["schemas"]["UpscaleTask"]
    task["properties"]["taskId"] = task["properties"].pop("task_id")
    # `code` 0 requires the task's fields in SubmitUpscaleTaskOutcome's `then`: rename there too.
    accepted = spec["components"]["schemas"]["SubmitUpscaleTaskOutcome"]["then"]["properties"]["result"]
    accepted["properties"]["taskId"] = accepted["properties"].pop("task_id")
    accepted["required"] = ["taskId" if name == "task_id" else name for name in accepted["required"]]
    post = spec["paths"][submit().path]["post"]
    result = post["responses"]["200"]["content"]["application/json"]["examples"]["accepted"]["value"][
        "result"
    ]
    result["taskId"] = result.pop("task_id")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_contract(base_url: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MOCK_BASE_URL": base_url,
        "CONTRACT_MAX_EXAMPLES": "30",  # the mismatch shows on the first accepted request
        "CONTRACT_MIN_REQUESTS": "1",
        "CONTRACT_STATEFUL_EXAMPLES": "5",
        "CONTRACT_REPORT_DIR": str(report_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", MOCK_CONTRACT_TEST, "-p", "no:cacheprovider",
         "-q", f"--junitxml={report_dir / 'junit.xml'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_contract_run_reports_a_renamed_response_field(tmp_path: Path) -> None:
    with running_mock(broken_spec(tmp_path)) as url:
        run = run_contract(url, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "ST108 Response violates schema" in output
    assert "Validated against the response schema for status code 200" in output
    assert '"taskId":"ccc894f2' in output  # the broken answer is shown as the service sent it
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    # Both the stateless run and the stateful chain fail: the link finds no `task_id` to follow either.
    failed = set(re.findall(r'<testcase [^>]*name="([^"]+)"[^>]*>\s*<failure', junit))
    assert failed == {
        "test_mock_conforms_to_spec",
        "test_stateful_chain_reads_the_submitted_task",
    }


def test_contract_run_passes_on_the_faithful_mock(tmp_path: Path, mock_base_url: str) -> None:
    """The control: the same short run against the mock of the real spec is green."""
    run = run_contract(mock_base_url, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "requests sent" in (tmp_path / "contract-summary.md").read_text(encoding="utf-8")
