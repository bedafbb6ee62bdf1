"""The conformance catalog: well-formed, covering every fault, its checks able to fail, and our client
(`hidream`) passing every row but the known gaps (xfail, strict: a fixed gap must be un-marked)."""

from __future__ import annotations

import json
import re
import socket
import sys
import textwrap
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest
import requests
import yaml

from hidream import MalformedServerError
from hidream_contract.conformance import KNOWN_GAPS, error_kind, hidream_adapter
from hidream_contract.project import ROOT
from hidream_sim import FAULTS, SCENARIOS, conformance, simulator
from tests.sim.adapters.naive import Naive

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
    "drift-result-without-sub-tasks",  # a naive SDK polls it to its 5 s wait timeout
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


def test_every_scenario_is_a_case_or_named_out_of_scope_with_why() -> None:
    covered = {case["scenario"] for case in CATALOG["cases"]}
    out = CATALOG["out_of_scope"]
    assert set(SCENARIOS) - covered - set(out) == set()
    assert covered & set(out) == set()  # not both
    assert set(out) <= set(SCENARIOS)
    assert all(len(why) > 30 for why in out.values())


def test_the_error_kinds_are_documented_one_for_one() -> None:
    assert tuple(CATALOG["error_kinds"]) == conformance.error_kinds()
    named = {kind for case in CATALOG["cases"] for kind in case["expect"].get("error_kind", [])}
    assert named <= set(conformance.error_kinds())
    assert CATALOG["adapter_protocol"] == conformance.PROTOCOL


def test_every_group_has_cases() -> None:
    assert {case["group"] for case in CATALOG["cases"]} == set(conformance.GROUPS)
    assert tuple(conformance.schema()["$defs"]["case"]["properties"]["group"]["enum"]) == conformance.GROUPS


def test_every_request_the_runner_sends_is_valid_against_the_protocol(tmp_path: Path) -> None:
    """What an adapter gets is what the schema's $defs/adapter_request says (protocol 2)."""
    schema = conformance.schema()
    request_schema = {"$defs": schema["$defs"], **schema["$defs"]["adapter_request"]}
    with simulator() as sim:
        for case in CATALOG["cases"]:
            request = conformance.request_for(case, sim, "token-x", tmp_path)
            jsonschema.validate(request, request_schema)
            assert request["protocol"] == 2


def test_the_guide_names_every_case_and_only_cases() -> None:
    """docs/sdk-authors.md says, per part of the task's life, which cases test it: every case is named
    there, and every case-like name there (`rejected-*` included) is a case."""
    guide = (ROOT / "docs" / "sdk-authors.md").read_text(encoding="utf-8")
    assert [case_id for case_id in CASES if f"`{case_id}`" not in guide] == []
    prefixes = {case_id.split("-")[0] + "-" for case_id in CASES}
    named = {name for name in re.findall(r"`([a-z0-9-]+\*?)`", guide) if name.startswith(tuple(prefixes))}
    assert {"rejected-*", "token-refused*", "drift-empty-task-id"} <= named  # the check reads the guide
    unknown = {
        name
        for name in named
        if not (
            name.rstrip("*") in CASES or (name.endswith("*") and any(c.startswith(name[:-1]) for c in CASES))
        )
    }
    assert unknown == set()


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


# Each case added for issue 30, and the checks it sharpened, shown to fail a plausible naive SDK: the naive
# SDK (tests/sim/adapters/naive.py) with the one mistake the case is there to catch, and what the row says.
NAIVE_FAILS: dict[str, tuple[Naive, str]] = {
    "token-never-sent-to-storage": (
        Naive(token_everywhere=True),
        "the token was sent with 1 of 1 image downloads",
    ),
    "extra-fields-on-submit": (Naive(strict=True), "outcome error (Failure), expected succeeded"),
    "extra-fields-on-result-read": (Naive(strict=True), "outcome error (Failure), expected succeeded"),
    "extra-fields-on-rejection": (Naive(strict=True), "error kind malformed_response, expected rejected"),
    "json-with-charset": (Naive(exact_json=True), "outcome error (Failure), expected succeeded"),
    "documented-language-only": (Naive(language="en-US"), "billed 0, expected 1"),
    "documented-fields-only": (Naive(extra_body={"client": "naive/1.0"}), "billed 0, expected 1"),
    "rejected-with-200": (Naive(status_only=True), "outcome submitted, expected error"),
    "rejected-with-400": (
        Naive(quiet=True),
        "no text the SDK showed names 'could not be fetched as an image'",
    ),
    "rejected-code-as-string": (Naive(resubmit=1), "submits 2, expected 1"),
    "token-refused-with-200": (Naive(status_only=True), "outcome submitted, expected error"),
    "token-refused": (Naive(kinds=False), "error kind other, expected auth"),
    "token-echoed-in-every-form": (Naive(redact_raw=True), "the token surfaced in 1 of"),
    "local-validation-ratio": (Naive(validate=False), "billed 1, expected 0"),
    "local-validation-empty-image": (Naive(validate=False), "requests 1, expected 0"),
    "download-follows-storage-redirect": (Naive(no_download_redirects=True), "no image written to"),
    "download-larger-than-the-bound": (
        Naive(bounded_download=False),
        "files left where the image was to be written: download-larger-than-the-bound.png",
    ),
    "drift-empty-task-id": (Naive(), "result_reads 1, expected 0"),
    "drift-result-without-sub-tasks": (Naive(), "outcome timeout, expected error"),
    "drift-status-as-string": (Naive(lenient=True), "outcome succeeded, expected error|timeout"),
    "drift-result-missing": (Naive(trusting=True), "outcome crash (KeyError), expected error"),
    "drift-request-id-missing": (Naive(trusting=True), "outcome crash (KeyError), expected submitted|error"),
    "drift-sub-task-ids-as-string": (Naive(resubmit=1), "submits 2, expected 1"),
    "drift-status-201": (Naive(resubmit=1), "submits 2, expected 1"),
    "throttled-always": (Naive(), "submits 1, expected 2..5"),  # no retry at all: the minimum
    "unavailable": (Naive(resubmit=4), "submits 5, expected 1"),  # 5xx on a submit retried
    "server-error-on-submit": (Naive(kinds=False), "error kind other, expected server"),
    "gateway-502-before-the-service": (Naive(kinds=False), "error kind other, expected server"),
    "drift-task-id-renamed": (Naive(kinds=False), "error kind other, expected malformed_response"),
    "drift-image-object": (Naive(kinds=False), "error kind other, expected malformed_response|download"),
    "dripping-answer": (Naive(), "outcome submitted, expected timeout|error"),  # no deadline, only a timeout
    "lifecycle-task-fails": (Naive(), "no text the SDK showed names the task (its task_id)"),
    "lifecycle-task-refused": (Naive(), "no text the SDK showed names the task (its task_id)"),
}


@pytest.mark.parametrize(
    "case_id",
    [pytest.param(i, id=i, marks=[pytest.mark.slow] if i in SLOW else []) for i in NAIVE_FAILS],
)
def test_a_naive_sdk_fails_the_case_made_to_catch_its_mistake(case_id: str) -> None:
    naive, problem = NAIVE_FAILS[case_id]
    row = conformance.run_case(CASES[case_id], naive)
    assert any(problem in text for text in row.problems), row.problems


def test_every_case_added_since_protocol_1_is_shown_to_fail_a_naive_sdk() -> None:
    protocol_1 = {
        "lifecycle-succeeds", "lifecycle-url-input", "lifecycle-timed", "lifecycle-task-fails",
        "lifecycle-task-refused", "lifecycle-never-finishes", "lifecycle-unknown-final-status",
        "lifecycle-unnamed-transient-status", "lifecycle-callback", "rate-limit-on-submit",
        "rate-limit-on-result-read", "rate-limit-every-other", "throttled-always", "server-error-on-submit",
        "gateway-502-before-the-service", "answer-lost-after-the-task-was-created-502",
        "answer-lost-after-the-task-was-created-reset", "unavailable", "slow-answer",
        "dripping-answer", "redirect-moved", "token-echoed-by-submit", "token-echoed-by-result-read",
        "token-refused", "drift-task-id-renamed", "drift-code-as-string", "drift-wrong-content-type",
        "drift-status-renamed", "drift-image-object",
    }  # fmt: skip
    assert protocol_1 <= set(CASES)
    assert set(CASES) - protocol_1 <= set(NAIVE_FAILS)
    assert set(NAIVE_FAILS) <= set(CASES)


def test_an_error_kind_outside_the_vocabulary_is_a_problem() -> None:
    case = CASES["server-error-on-submit"]
    with simulator(case["scenario"]) as sim:
        request = {"token": "x", "output_path": "/nonexistent/x.png"}
        observation = {"outcome": "error", "error_kind": "ServerError", "surfaced": ["HTTP 500"]}
        problems = conformance.check(case, observation, sim, request, 0.1)
    assert any(
        p.startswith("error kind 'ServerError' is not in the vocabulary (validation, auth,") for p in problems
    )
    assert any("does not follow the adapter protocol at error_kind" in problem for problem in problems)


def test_an_observation_outside_the_protocol_is_a_problem() -> None:
    def sloppy(request: dict[str, Any]) -> dict[str, Any]:
        return {"outcome": "succeeded", "surfaced": "one string, not a list", "seconds": "1.2"}

    row = conformance.run_case(CASES["local-validation-ratio"], sloppy)
    protocol = [problem for problem in row.problems if "does not follow the adapter protocol" in problem]
    assert protocol == [
        "the observation does not follow the adapter protocol at seconds: type 'number'",
        "the observation does not follow the adapter protocol at surfaced: type 'array'",
    ]


def test_our_error_classes_map_to_the_kinds() -> None:
    assert error_kind(MalformedServerError("HTML 502", http_status=502)) == "server"  # 5xx wins


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
    assert passed.problems == ["outcome submitted, expected error", "no text the SDK showed names 'task_id'"]
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
    assert "submits 0, expected 1" in json.loads(out.read_text("utf-8"))[0]["problems"]


def test_the_cli_writes_junit_and_the_table_a_ci_keeps(tmp_path: Path) -> None:
    program = tmp_path / "adapter.py"
    said = {"outcome": "error", "error_kind": "validation", "surfaced": ["upsale_ratio: 3 is not 2 or 4"]}
    program.write_text(f"import json\nprint(json.dumps({said!r}))\n", "utf-8")
    junit, markdown = tmp_path / "junit.xml", tmp_path / "table.md"
    argv = ["--adapter", f"{sys.executable} {program}", "--junit", str(junit), "--markdown", str(markdown)]
    status = conformance.main([*argv, "--case", "server-error-on-submit", "--case", "local-validation-ratio"])
    assert status == 1
    suite = ElementTree.parse(junit).getroot()  # noqa: S314 (our own file, just written)
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "2", "1")
    by_name = {case.get("name"): case for case in suite.iter("testcase")}
    failure = by_name["server-error-on-submit"].find("failure")
    assert failure is not None
    assert "submits 0, expected 1" in str(failure.get("message"))
    assert by_name["local-validation-ratio"].find("failure") is None  # nothing sent: right, by accident
    assert by_name["local-validation-ratio"].get("classname") == "conformance.rejections"
    assert markdown.read_text("utf-8").startswith("Conformance of ")


def test_an_unknown_case_is_named_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    status = conformance.main(["--adapter", "true", "--case", "no-such-case", "--case", "slow-answer"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("conformance: no such case: no-such-case (--list shows the ")
    assert "Traceback" not in err


def test_list_shows_every_case_without_an_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    assert conformance.main(["--list", "--group", "downloads"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        case["id"] for case in CATALOG["cases"] if case["group"] == "downloads"
    ]


def _a_taken_port_before_a_free_one() -> socket.socket:
    """A socket bound to a port whose next port was free a moment ago: other tests (other xdist
    workers) bind ports too, so a port above one of ours is not free by itself."""
    for _ in range(50):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", busy.getsockname()[1] + 1))
            except OSError:
                busy.close()
                continue
        return busy
    raise AssertionError("no port with a free neighbour in 50 tries")


def test_the_simulators_listen_where_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--host/--ports: the first free port of the range (a CI that opens only some ports)."""
    with _a_taken_port_before_a_free_one() as busy:
        taken = busy.getsockname()[1]
        seen: list[str] = []

        def adapter(request: dict[str, Any]) -> dict[str, Any]:
            seen.append(request["base_url"])
            return {"outcome": "error", "surfaced": []}

        place = conformance.Place.parse("127.0.0.1", f"{taken}-{taken + 1}")
        conformance.run_case(CASES["local-validation-ratio"], adapter, place)
    assert seen == [f"http://127.0.0.1:{taken + 1}/api-pub/gw/v3"]
    with pytest.raises(ValueError, match="not N or LOW-HIGH"):
        conformance.Place.parse("127.0.0.1", "80-x")
    assert conformance.main(["--adapter", "true", "--ports", "9-8"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        assert conformance.main(["--adapter", "true", "--case", "slow-answer", "--ports", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1 at any port of {port}-{port}" in capsys.readouterr().err


def test_our_clients_runner_takes_the_same_options(tmp_path: Path) -> None:
    from hidream_contract import conformance as ours

    junit = tmp_path / "junit.xml"
    assert ours.main(["--case", "local-validation-ratio", "--junit", str(junit)]) == 0
    suite = ElementTree.parse(junit).getroot()  # noqa: S314 (our own file, just written)
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    assert ours.main(["--case", "no-such-case"]) == 2
