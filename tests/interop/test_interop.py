"""The interop matrix's local rows (what `make install` brings: Python and Node), and both sides of the
spec's shape: every generator reads the examples, validators still flag what generators cannot see."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hidream_contract.interop.cases import (
    EXTRA_FIELD,
    EXTRA_VALUE,
    Case,
    cases,
    judge,
    response_validator,
    without_extra,
)
from hidream_contract.interop.matrix import Row, run_matrix, select
from hidream_contract.interop.report import render
from hidream_contract.project import BUILD
from hidream_contract.spec import SPEC_PATH, SUBMIT_ID, load, operations, response_examples

pytestmark = pytest.mark.prism


@pytest.fixture(scope="module")
def local_rows() -> list[Row]:
    return run_matrix(select(local_only=True), out=BUILD / "interop-test")


@pytest.mark.slow
def test_every_local_row_decodes_every_example_offline_and_through_the_mock(local_rows: list[Row]) -> None:
    every = {case.id for case in cases()}
    served = {case.id for case in cases() if case.example is not None}
    assert {row.target.language for row in local_rows} == {"python", "node"}
    for row in local_rows:
        assert (row.generate, row.build) == ("ok", "ok"), row.target.key
        assert row.offline == dict.fromkeys(every, ""), row.target.key
        assert row.mock == dict.fromkeys(served, ""), row.target.key
        assert row.replay == dict.fromkeys(every, ""), row.target.key
        assert row.ok


@pytest.mark.slow
def test_the_report_shows_each_row_and_the_verdict(local_rows: list[Row]) -> None:
    text = render(local_rows, SPEC_PATH)
    for row in local_rows:
        assert f"✅ {row.target.generator or row.target.key}" in text
    assert f"Verdict: {len(local_rows)}/{len(local_rows)} rows built and driven; no row failed." in text


def row_of(key: str, build: str, offline: dict[str, str] | None = None) -> Row:
    (target,) = select([key])
    return Row(target, "1", "ok", build, offline or {})


def test_only_a_driven_row_is_green_and_a_missing_toolchain_fails_the_matrix() -> None:
    driven = row_of("og-go", "ok", {"case": ""})
    declared = row_of("og-csharp", "generate-only: no .NET SDK here")
    missing = row_of("og-php", "failed: php not installed (make interop installs what this machine can have)")
    misread = row_of("og-rust", "ok", {"case": "read 1, expected 2"})
    assert [(r.driven, r.ok) for r in (driven, declared, missing, misread)] == [
        (True, True),
        (False, True),
        (False, False),
        (False, False),
    ]
    text = render([driven, declared, missing, misread], SPEC_PATH)
    assert "| ✅ go (go) |" in text
    assert "| ⚪ csharp (csharp) |" in text  # generated only: never a ✅
    assert "| ❌ php (php) |" in text
    assert "| ❌ rust (rust) |" in text
    assert text.rstrip().endswith(
        "Verdict: 1/4 rows built and driven, 1 generated only (og-csharp: see its build cell); "
        "FAILED: og-php, og-rust."
    )


@pytest.mark.slow
def test_the_go_row_without_its_option_refuses_harmless_extra_fields(tmp_path: Path) -> None:
    """Why og-go sets disallowAdditionalPropertiesIfNotPresent=false: openapi-generator's go client
    refuses, by default, every answer with a field the spec does not name; the matrix sees it."""
    from hidream_contract.interop.targets import GO_MODULE

    (target,) = select(["og-go"])
    assert target.properties["disallowAdditionalPropertiesIfNotPresent"] == "false"
    if shutil.which("go") is None:
        pytest.skip("go is not installed (make interop's rows need it)")
    (row,) = run_matrix([dataclasses.replace(target, properties=GO_MODULE)], out=tmp_path, mock=False)
    assert (row.generate, row.build) == ("ok", "ok")
    extra = {c.id for c in cases() if c.extra}
    for results in (row.offline, row.replay):  # the models, and the client through its HTTP path
        wrong = {case for case, why in results.items() if why}
        assert wrong == extra
        assert all("unknown field" in results[case] for case in wrong)
    assert not row.ok


def test_the_rows_that_read_only_openapi_30_are_given_the_rendition() -> None:
    readers = {t.key for t in select() if t.reads_30_only}
    assert readers == {"oapi-codegen", "openapi-typescript-codegen"}


def test_every_row_but_csharp_is_meant_to_be_built_here() -> None:
    """Only a target whose toolchain this kind of machine cannot have may be generate-only."""
    declared = {t.key for t in select() if t.generate_only}
    assert declared == {"og-csharp"}
    assert "NuGet is not reachable" in next(t for t in select() if t.key == "og-csharp").generate_only


def test_the_cases_are_every_example_of_every_operation_plus_the_rejections_the_spec_allows() -> None:
    found = cases()
    declared = {
        (op.operation_id, status, name): body
        for op in operations()
        for (status, name), body in response_examples(op.operation_id).items()
    }
    assert {(c.operation, c.status, c.example) for c in found if c.example} == set(declared)
    assert len({c.operation for c in found}) == len(operations())
    derived = [c for c in found if c.example is None and not c.extra]
    # Each 2xx rejection again with `result` null and {}: the spec allows both, so every client reads them.
    rejections = [key for key, body in declared.items() if 200 <= key[1] < 300 and body["code"] != 0]
    assert len(derived) == 2 * len(rejections) > 0
    assert {json.dumps(c.body["result"]) for c in derived} == {"null", "{}"}
    # And every declared example once more with a harmless extra field, read as the example is.
    extended = [c for c in found if c.extra]
    assert len(extended) == len(declared)
    for case in extended:
        assert case.body[EXTRA_FIELD] == EXTRA_VALUE, case.id
        if isinstance(case.body.get("result"), dict):
            assert EXTRA_FIELD in case.body["result"], case.id
        assert without_extra(case.body) in declared.values(), case.id


def test_an_extra_field_may_be_kept_or_dropped_but_the_named_fields_must_be_read() -> None:
    case = next(c for c in cases() if c.extra and c.body.get("code") == 0)
    kept = {"kind": "ok", "result": case.body["result"]}
    dropped = {"kind": "ok", "result": without_extra(case.body["result"])}
    assert judge(case, kept) == ""
    assert judge(case, dropped) == ""
    assert "expected" in judge(case, {"kind": "ok", "result": {EXTRA_FIELD: EXTRA_VALUE}})
    refused = {"kind": "failed", "detail": 'json: unknown field "trace_id"'}
    assert judge(case, refused) == 'json: unknown field "trace_id"'


def accepted() -> dict[str, Any]:
    examples = response_examples(SUBMIT_ID).items()
    return next(body for (status, _), body in examples if status == 200 and body["code"] == 0)


def without_result(body: dict[str, Any]) -> None:
    del body["result"]


def empty_result(body: dict[str, Any]) -> None:
    body["result"] = {}


def code_as_string(body: dict[str, Any]) -> None:
    body["code"] = str(body["code"])


def without_request_id(body: dict[str, Any]) -> None:
    del body["request_id"]


def renamed_task_id(body: dict[str, Any]) -> None:
    body["result"]["taskId"] = body["result"].pop("task_id")


BROKEN: list[Callable[[dict[str, Any]], None]] = [
    without_result,
    empty_result,
    code_as_string,
    without_request_id,
    renamed_task_id,
]


@pytest.mark.parametrize("breakage", BROKEN, ids=lambda f: f.__name__)
def test_the_validators_still_flag_a_broken_success(breakage: Callable[[dict[str, Any]], None]) -> None:
    body = copy.deepcopy(accepted())
    breakage(body)
    # The same JSON Schema 2020-12 validation the mock contract run and the live check apply.
    assert not response_validator(200).is_valid(body)


def test_the_validators_accept_every_case_the_drivers_decode() -> None:
    for case in cases():
        assert response_validator(case.status, SPEC_PATH, case.operation).is_valid(case.body), case.id


def test_generated_models_cannot_see_what_the_if_then_adds() -> None:
    # Why the if/then is there: a generated model reads a success without its task as a plain envelope;
    # only validators (and the hand-written client's own check) know that `code` 0 promises the task.
    from hidream_api_client.models import SubmitUpscaleTaskOutcome

    body = copy.deepcopy(accepted())
    without_result(body)
    decoded = SubmitUpscaleTaskOutcome.from_dict(body)
    assert decoded.code == 0
    assert not response_validator(200).is_valid(body)


def test_a_misread_case_is_named() -> None:
    case = Case("submit 200 accepted", SUBMIT_ID, 200, "accepted", accepted())
    assert judge(case, {"kind": "ok", "result": accepted()["result"]}) == ""
    assert "expected" in judge(case, {"kind": "ok", "result": {"taskId": "x"}})
    assert "expected" in judge(case, {"kind": "error", "code": 0, "message": "Success"})
    assert judge(case, {"kind": "failed", "detail": "KeyError: 'result'"}) == "KeyError: 'result'"
    assert judge(case, None) == "no answer from the driver"


def test_an_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown interop targets"):
        select(["no-such-generator"])


def the_former_one_of(spec: dict[str, Any]) -> None:
    """The 200 as it was before issue 11: oneOf [UpscaleTaskEnvelope, ErrorEnvelope], `not: {const: 0}`."""
    schemas = spec["components"]["schemas"]
    schemas["UpscaleTask"]["required"] = ["task_id", "sub_task_ids"]
    envelope = copy.deepcopy(schemas["SubmitUpscaleTaskOutcome"])
    for key in ("if", "then"):
        envelope.pop(key)
    envelope["title"] = "UpscaleTaskEnvelope"
    envelope["required"] = ["code", "message", "request_id", "result"]
    envelope["properties"]["code"]["const"] = 0
    envelope["properties"]["result"] = {"$ref": "#/components/schemas/UpscaleTask"}
    schemas["UpscaleTaskEnvelope"] = envelope
    schemas["SubmitUpscaleTaskOutcome"] = {
        "title": "SubmitUpscaleTaskOutcome",
        "oneOf": [
            {"$ref": f"#/components/schemas/{name}"} for name in ("UpscaleTaskEnvelope", "ErrorEnvelope")
        ],
    }


@pytest.mark.slow
def test_the_matrix_catches_the_former_shape(tmp_path: Path) -> None:
    # The other side: with the former oneOf, typescript-fetch's parser reads the accepted answer as an
    # ErrorEnvelope (issue 11's table), and the row goes red on exactly that case.
    spec = load()
    the_former_one_of(spec)
    path = tmp_path / "former.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (row,) = run_matrix(select(["og-typescript-fetch"]), spec=path, out=tmp_path / "out", mock=False)
    assert (row.generate, row.build) == ("ok", "ok")
    wrong = {case for case, why in row.offline.items() if why}
    assert wrong == {c.id for c in cases(path) if c.operation == SUBMIT_ID and c.body.get("code") == 0}
    assert not row.ok


def test_the_rust_drivers_lock_follows_the_generated_crates_version(tmp_path: Path) -> None:
    """The generator writes the spec's version into the crate; the driver's lock must follow it (or
    `cargo build --locked` refuses every release), while crates.io packages stay as pinned."""
    from hidream_contract.interop.targets import DRIVERS, StepError, _lock_with_client_version

    lock = DRIVERS / "og-rust" / "Cargo.lock"
    manifest = tmp_path / "Cargo.toml"
    manifest.write_text('[package]\nname = "openapi"\nversion = "9.8.7"\n', "utf-8")
    text = _lock_with_client_version(lock, manifest)
    assert 'name = "openapi"\nversion = "9.8.7"' in text
    changed = [
        (a, b) for a, b in zip(lock.read_text("utf-8").splitlines(), text.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1  # that one line; every other pin as committed
    manifest.write_text('[package]\nname = "renamed"\nversion = "1.0.0"\n', "utf-8")
    with pytest.raises(StepError, match="renamed"):
        _lock_with_client_version(lock, manifest)


def test_the_replay_server_answers_each_case_only_at_its_operation() -> None:
    import httpx

    from hidream_contract.interop.replay import replay_input, replaying

    all_cases = cases()
    listed = replay_input()["cases"]
    number, case = next((n, c) for n, c in enumerate(all_cases) if c.extra and c.status == 200)
    assert listed[number]["id"] == case.id
    call = replay_input()["operations"][case.operation]
    with replaying(all_cases) as base_url:

        def ask(method: str, path: str, prefer: str) -> tuple[int, Any]:
            content = b"{}" if method == "POST" else None
            answer = httpx.request(method, base_url + path, content=content, headers={"Prefer": prefer})
            return answer.status_code, answer.json()

        prefer = f"code={case.status}, example={listed[number]['example']}"
        assert ask(call["method"].upper(), call["path"], prefer) == (case.status, case.body)
        other = "GET" if call["method"].upper() == "POST" else "POST"
        status, body = ask(other, call["path"], prefer)
        assert status == 404
        assert "expected" in body["error"]
        assert ask(call["method"].upper(), call["path"], "code=200")[0] == 404
