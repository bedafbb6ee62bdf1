"""The conformance catalog: well-formed, covering every fault, its checks able to fail, and our client
(`hidream`) passing every row but the known gaps (xfail, strict: a fixed gap must be un-marked)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml

from hidream_contract.conformance import KNOWN_GAPS, hidream_adapter
from hidream_sim import FAULTS, SCENARIOS, conformance

CATALOG = conformance.load_catalog()
CASES = {case["id"]: case for case in CATALOG["cases"]}
# Cases that take a second or more (Retry-After 1, bounded waits, slow answers): marked slow.
SLOW = {
    "lifecycle-never-finishes",
    "lifecycle-unknown-final-status",
    "rate-limit-on-submit",
    "rate-limit-on-result-read",
    "throttled-always",
    "slow-answer",
    "dripping-answer",
}


def test_the_catalog_is_valid_against_its_schema() -> None:
    schema = conformance.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(conformance.catalog_text()), schema)
    broken = dict(CATALOG["cases"][0], action="dance")
    with pytest.raises(jsonschema.ValidationError, match="dance"):
        jsonschema.validate(dict(CATALOG, cases=[broken]), schema)


def test_case_ids_are_unique_and_every_scenario_exists() -> None:
    assert len(CASES) == len(CATALOG["cases"])
    unknown = {case["scenario"] for case in CATALOG["cases"]} - set(SCENARIOS)
    assert unknown == set()


def test_every_fault_scenario_has_a_case() -> None:
    covered = {case["scenario"] for case in CATALOG["cases"]}
    assert set(FAULTS) - covered == set()
    for scenario in ("gateway-502-on-task", "reset-on-task", "moved-308", "echo-auth", "flaky-429"):
        assert scenario in covered


def _param(case_id: str) -> Any:
    marks: list[Any] = []
    if case_id in SLOW:
        marks.append(pytest.mark.slow)
    if case_id in KNOWN_GAPS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[case_id]))
    return pytest.param(case_id, marks=marks, id=case_id)


@pytest.mark.parametrize("case_id", [_param(case_id) for case_id in CASES])
def test_our_client_conforms(case_id: str) -> None:
    row = conformance.run_case(CASES[case_id], hidream_adapter)
    assert row.passed, row.problems


def test_the_known_gaps_are_real_cases() -> None:
    assert set(KNOWN_GAPS) <= set(CASES)


# --- the checks can fail: SDKs that do the wrong thing get FAIL rows naming what differed ----------------


def _naive(resubmit: bool = False, leak: bool = False) -> conformance.Adapter:
    """An SDK written with plain requests: no retry rules, optionally resubmitting and printing bodies."""

    def adapter(request: dict[str, Any]) -> dict[str, Any]:
        url = request["base_url"] + "/image/image_upscaler/async"
        headers = {"Authorization": f"Bearer {request['token']}"}
        body = {"image": request["image"], "upsale_ratio": request["upsale_ratio"]}
        surfaced: list[str] = []
        for _ in range(2 if resubmit else 1):
            try:
                answer = requests.post(url, json=body, headers=headers, timeout=5)
            except requests.RequestException as error:
                surfaced.append(str(error))
                continue
            surfaced.append(answer.text if leak else str(answer.status_code))
            if answer.ok and answer.json().get("code") == 0:
                return {"outcome": "submitted", "surfaced": surfaced}
        return {"outcome": "error", "error_type": "Naive", "surfaced": surfaced}

    return adapter


def test_a_resubmit_after_a_lost_answer_fails_its_row() -> None:
    row = conformance.run_case(CASES["answer-lost-after-the-task-was-created-502"], _naive(resubmit=True))
    assert not row.passed
    assert "billed 2, expected 1" in row.problems
    assert "submits 2, expected 1" in row.problems


def test_a_leaked_token_fails_its_row_without_printing_it() -> None:
    row = conformance.run_case(CASES["token-refused"], _naive(leak=True))
    assert any("the token surfaced in 1 of 1 texts" in problem for problem in row.problems), row.problems
    assert "sim-conformance-" not in " ".join(row.problems)


def test_an_sdk_that_ignores_retry_after_fails_its_row() -> None:
    row = conformance.run_case(CASES["rate-limit-on-submit"], _naive(resubmit=True))
    assert any("Retry-After asked for 1 s" in problem for problem in row.problems), row.problems


def test_the_table_says_pass_fail_and_known_gap() -> None:
    rows = [
        conformance.Row("a", "lifecycle", "faithful", "rule a"),
        conformance.Row("b", "faults", "slow", "rule b", problems=["took 9 s"]),
        conformance.Row("c", "faults", "slow", "rule c", problems=["outcome x"]),
    ]
    text = conformance.table(rows, "sdk", expected_failures={"c": "no retries"})
    assert text.startswith("Conformance of sdk: 1 of 3 cases pass")
    assert "| a | lifecycle | faithful | pass |" in text
    assert "| b | faults | slow | FAIL |" in text
    assert "| c | faults | slow | known gap |" in text
    assert "(no retries)" in text


def test_a_command_adapter_runs_a_program_per_case(tmp_path: Path) -> None:
    """The command-line protocol: the request on stdin, the observation on stdout's last line."""
    program = tmp_path / "adapter.py"
    program.write_text(
        textwrap.dedent(
            """
            import json, sys, urllib.request
            request = json.load(sys.stdin)
            body = json.dumps({"image": request["image"], "upsale_ratio": request["upsale_ratio"]}).encode()
            call = urllib.request.Request(
                request["base_url"] + "/image/image_upscaler/async", data=body, method="POST",
                headers={"Authorization": "Bearer " + request["token"], "Content-Type": "application/json"})
            answer = json.load(urllib.request.urlopen(call, timeout=5))
            print("log line without secrets", file=sys.stderr)
            print(json.dumps({"outcome": "submitted" if answer["code"] == 0 else "error", "surfaced": []}))
            """
        ),
        encoding="utf-8",
    )
    adapter = conformance.command_adapter([sys.executable, str(program)])
    passed = conformance.run_case(CASES["drift-task-id-renamed"], adapter)  # a naive SDK "succeeds"
    assert passed.problems == ["outcome submitted, expected error"]
    ok = conformance.run_case(CASES["rate-limit-every-other"], adapter)  # no retry: the 429 is final
    assert ok.outcome == "crash"  # urllib raised on the 429; the runner shows it as a failed row
    assert not ok.passed


def test_the_cli_prints_the_table_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "adapter.py"
    program.write_text('import json\nprint(json.dumps({"outcome": "error", "surfaced": []}))\n', "utf-8")
    out = tmp_path / "rows.json"
    status = conformance.main(
        ["--adapter", f"{sys.executable} {program}", "--case", "server-error-on-submit", "--json", str(out)]
    )
    assert status == 1  # the adapter never sent the request: submits 0
    printed = capsys.readouterr().out
    assert "| server-error-on-submit | faults | server-error-once | FAIL | error |" in printed
    assert json.loads(out.read_text("utf-8"))[0]["problems"] == ["submits 0, expected 1"]
