"""The spec's OpenAPI 3.0 rendition (hidream_contract.openapi30): a valid 3.0 document, the examples and
every body the interop cases derive still valid under 3.0's own rules, nothing of 3.1 left, and what
the converter alone leaves named."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from hidream_contract.interop.cases import cases
from hidream_contract.openapi30 import (
    CONVERTER_BIN,
    RENDITION_PATH,
    RenditionError,
    convert,
    finish,
    leftovers,
    schemas_as_31,
)
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH, load, operations_in, resolve_in, response_examples


@pytest.fixture(scope="module")
def rendition() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RENDITION_PATH.read_text(encoding="utf-8"))
    return loaded


def schema_30(document: dict[str, Any], operation_id: str, status: int) -> OAS30Validator:
    op = next(op for op in operations_in(document) if op.operation_id == operation_id)
    response = resolve_in(document, op.definition["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "components": document["components"]})


def test_the_rendition_is_a_valid_openapi_30_document(rendition: dict[str, Any]) -> None:
    assert rendition["openapi"] == "3.0.3"
    validate(rendition)  # picks the 3.0 schema from `openapi`
    assert leftovers(rendition) == []


def test_the_rendition_is_what_make_generate_makes_of_the_spec(rendition: dict[str, Any]) -> None:
    # scripts/check-generated holds the file byte for byte; this is the same fact from Python.
    assert convert() == rendition


def test_the_rendition_keeps_every_example_each_valid_under_30_rules(rendition: dict[str, Any]) -> None:
    for op in operations_in(rendition):
        for (status, name), body in response_examples(op.operation_id, RENDITION_PATH).items():
            assert body == response_examples(op.operation_id, SPEC_PATH)[(status, name)]
            schema_30(rendition, op.operation_id, status).validate(body)


def test_every_body_the_interop_cases_derive_is_valid_under_30_rules(rendition: dict[str, Any]) -> None:
    # result {}, harmless extra fields: what a 3.0-only generator's client must read. But `result: null`:
    # 3.0.3 says `nullable` does not reach into `allOf`, so a strict 3.0 validator refuses it, while the
    # generators read `nullable` + `allOf: [X]` as "X or null" (the interop rows decode it). The known
    # limit docs/interop.md states: validate against the 3.1 spec.
    for case in cases():
        valid = schema_30(rendition, case.operation, case.status).is_valid(case.body)
        assert valid == ("result" not in case.body or case.body["result"] is not None), case.id


def test_the_30_rules_still_refuse_a_broken_success(rendition: dict[str, Any]) -> None:
    validator = schema_30(rendition, "submitUpscaleTask", 200)
    accepted = response_examples("submitUpscaleTask")[(200, "accepted")]
    for broken in ({**accepted, "code": "0"}, {**accepted, "result": "x"}, {"code": 0}):
        assert not validator.is_valid(broken), broken


def test_the_converter_alone_leaves_what_30_cannot_say(tmp_path: Path) -> None:
    """Why `finish` exists: the pinned converter's own output still holds 3.1 (so is refused here)."""
    out = tmp_path / "raw.yaml"
    subprocess.run([CONVERTER_BIN, "--allOf", "-i", SPEC_PATH, "-o", out], check=True, capture_output=True)
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    found = leftovers(raw)
    assert "info.summary" in found
    assert any(item.startswith("const in schema") for item in found)  # `const: 0`, a falsy value
    assert any(item.startswith("if in schema") for item in found)
    assert any("'null'" in item for item in found)  # anyOf [X, {type: 'null'}]
    with pytest.raises(OpenAPIValidationError):
        validate(raw)
    assert leftovers(finish(raw)) == []


def test_a_3_1_construct_finish_does_not_know_is_refused_by_name() -> None:
    spec = load()
    task = spec["components"]["schemas"]["UpscaleTask"]["properties"]
    task["task_id"]["prefixItems"] = [{"type": "string"}]
    task["sub_task_ids"]["type"] = ["array", "null"]
    found = leftovers(finish(copy.deepcopy(spec)))
    assert any(item.startswith("prefixItems in schema") for item in found)
    assert any("['array', 'null']" in item for item in found)


def test_a_nullable_branch_without_a_type_is_refused() -> None:
    spec = load()
    outcome = spec["components"]["schemas"]["SubmitUpscaleTaskOutcome"]
    outcome["properties"]["result"]["anyOf"][0] = {"description": "anything"}
    with pytest.raises(RenditionError, match="nullable branch"):
        finish(spec)


def test_the_compat_judge_reads_30_nullable_as_2020_12(rendition: dict[str, Any]) -> None:
    readable = schemas_as_31(rendition)
    result = readable["components"]["schemas"]["SubmitUpscaleTaskOutcome"]["properties"]["result"]
    schema = {**result, "components": readable["components"]}
    jsonschema.Draft202012Validator(schema).validate(None)
    jsonschema.Draft202012Validator(schema).validate({"task_id": "t", "sub_task_ids": []})
    assert not jsonschema.Draft202012Validator(schema).is_valid("t")
    assert schemas_as_31(load()) == load()  # a 3.1 document is left alone


@pytest.mark.slow
def test_check_generated_fails_when_the_rendition_is_stale(tmp_path: Path) -> None:
    """The rendition cannot go stale: a hand edit (or a spec change without make generate) fails."""
    copy = tmp_path / "project"
    for folder in ("openapi", "config", "scripts", "generated_client"):
        shutil.copytree(
            ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    rendition = copy / RENDITION_PATH.relative_to(ROOT)
    rendition.write_text(rendition.read_text(encoding="utf-8").replace("3.0.3", "3.0.2", 1), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [copy / "scripts" / "check-generated"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"{RENDITION_PATH.relative_to(ROOT)} is out of date with the spec" in done.stderr
