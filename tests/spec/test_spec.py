"""The spec states every fact of the provider's documentation, and its examples are valid."""

from __future__ import annotations

import base64
import json
from typing import Any

import jsonschema
import pytest

from hidream_contract.project import ROOT
from hidream_contract.spec import load, resolve_in, submit

SUBMIT_PATH = submit().path

# The provider's page, kept in the repo so a clone is self-contained; shared/ holds the published copy.
REFERENCE = ROOT / "openapi" / "reference" / "image_upscaler_submit.zh.txt"
PUBLISHED = ROOT.parent / "shared" / "reference" / "image_upscaler_submit.zh.txt"
SAMPLE_IMAGE = "https://storage.hidreamai.com/image/p_ec2e8446-3a94-11ef-8f5b-6a40833e9843.png"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = load()
    return loaded


def schema_validator(spec: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    # Validate against the whole document so that internal $refs resolve.
    root = {**spec, "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(root)


def operation(spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][SUBMIT_PATH]["post"]
    return op


def test_the_kept_reference_is_the_published_page() -> None:
    if not PUBLISHED.exists():
        pytest.skip("no shared/ beside this checkout (CI and the developers' machines have it)")
    assert REFERENCE.read_bytes() == PUBLISHED.read_bytes(), (
        "the provider's page changed: copy it to openapi/reference/ and bring the spec up to date"
    )


def test_server_and_path_are_the_documented_url(spec: dict[str, Any]) -> None:
    # The provider's page gives the URL on the line after its heading "1. 接口地址".
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    documented = lines[lines.index("1. 接口地址") + 1].strip()
    assert spec["servers"][0]["url"] + SUBMIT_PATH == documented
    # The same document serves staging and local stand-ins through a server variable.
    assert "baseUrl" in spec["servers"][1]["variables"]
    assert list(spec["paths"][SUBMIT_PATH]) == ["post"]


def test_bearer_auth_is_required(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert operation(spec)["security"] == [{"bearerAuth": []}]


def test_headers(spec: dict[str, Any]) -> None:
    params = {p["name"]: p for p in (resolve_in(spec, p) for p in operation(spec)["parameters"])}
    lang = params["X-accept-language"]
    assert lang["in"] == "header"
    assert not lang["required"]
    assert lang["schema"] == {"type": "string", "enum": ["en", "zh"], "default": "zh"}
    user = params["API-User-ID"]
    assert (user["in"], user["required"], user["schema"]["type"]) == ("header", False, "string")
    assert list(operation(spec)["requestBody"]["content"]) == ["application/json"]


def test_body_fields(spec: dict[str, Any]) -> None:
    body = spec["components"]["schemas"]["UpscaleRequest"]
    assert body["required"] == ["image", "upsale_ratio"]
    props = body["properties"]
    assert props["image"]["type"] == "string"
    assert (props["upsale_ratio"]["type"], props["upsale_ratio"]["enum"]) == ("integer", [2, 4])
    # Required, so no `default` (issue 11: it says nothing there, and openapi-generator's PHP breaks on it).
    assert "default" not in props["upsale_ratio"]
    assert (props["version"]["enum"], props["version"]["default"]) == (["v1"], "v1")
    assert props["notify_url"]["type"] == "string"
    assert props["request_id"]["default"] == ""
    # Unknown fields: the documentation is silent, so the spec does not forbid them.
    assert "additionalProperties" not in body


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"image": SAMPLE_IMAGE, "upsale_ratio": 2}, True),
        ({"image": SAMPLE_IMAGE, "upsale_ratio": 4, "version": "v1", "notify_url": "https://x.y/cb"}, True),
        ({"image": SAMPLE_IMAGE, "upsale_ratio": 3}, False),
        ({"image": SAMPLE_IMAGE, "upsale_ratio": 2, "version": "v2"}, False),
        ({"upsale_ratio": 2}, False),
        ({"image": SAMPLE_IMAGE}, False),
        ({"image": "", "upsale_ratio": 2}, False),
        ({"image": SAMPLE_IMAGE, "upsale_ratio": "2"}, False),
    ],
)
def test_body_schema_accepts_and_rejects(spec: dict[str, Any], document: dict[str, Any], valid: bool) -> None:
    assert schema_validator(spec, "UpscaleRequest").is_valid(document) is valid


def test_request_examples_are_the_seed_and_a_real_png(spec: dict[str, Any]) -> None:
    examples = operation(spec)["requestBody"]["content"]["application/json"]["examples"]
    validator = schema_validator(spec, "UpscaleRequest")
    assert examples["imageUrl"]["value"] == {"image": SAMPLE_IMAGE, "upsale_ratio": 2, "version": "v1"}
    png = base64.b64decode(examples["imageBase64"]["value"]["image"], validate=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR"
    for example in examples.values():
        validator.validate(example["value"])


def test_success_example_is_the_seed_response_verbatim(spec: dict[str, Any]) -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    seed_response = json.loads(reference[reference.rindex("示例:") + len("示例:") :])
    ok = operation(spec)["responses"]["200"]["content"]["application/json"]
    assert ok["examples"]["accepted"]["value"] == seed_response
    schema_validator(spec, "SubmitUpscaleTaskOutcome").validate(seed_response)


def test_every_response_example_matches_its_schema(spec: dict[str, Any]) -> None:
    checked = 0
    for status, response in operation(spec)["responses"].items():
        media = resolve_in(spec, response)["content"]["application/json"]
        root = {**spec, **media["schema"]}
        for example in media["examples"].values():
            jsonschema.Draft202012Validator(root).validate(resolve_in(spec, example)["value"])
            checked += 1
        assert media["examples"], status
    assert checked >= 5


@pytest.mark.parametrize(
    ("envelope", "kind"),
    [
        (
            {
                "code": 0,
                "message": "Success",
                "request_id": "r",
                "result": {"task_id": "t", "sub_task_ids": []},
            },
            0,
        ),
        ({"code": 1001, "message": "bad image"}, 1),
        ({"code": 1001, "message": "bad image", "request_id": "r", "result": {}}, 1),
        ({"code": 1001, "message": "bad image", "result": None}, 1),
        ({"code": 0, "message": "Success", "request_id": "r"}, None),  # success without result
        (
            {
                "code": 0,
                "message": "Success",
                "request_id": "r",
                "result": {"task_id": 5, "sub_task_ids": []},
            },
            None,
        ),
        (
            {
                "code": "0",
                "message": "Success",
                "request_id": "r",
                "result": {"task_id": "t", "sub_task_ids": []},
            },
            None,
        ),
        ({"message": "no code"}, None),
        # What the if/then adds for `code` 0 (generators ignore it; validators must not):
        ({"code": 0, "message": "Success", "result": {"task_id": "t", "sub_task_ids": []}}, None),
        (
            {
                "code": 0,
                "message": "Success",
                "request_id": "r",
                "result": {"taskId": "t", "sub_task_ids": []},
            },
            None,
        ),
        ({"code": 0, "message": "Success", "request_id": "r", "result": {}}, None),
        ({"code": 0, "message": "Success", "request_id": "r", "result": None}, None),
    ],
)
def test_200_is_either_the_task_or_a_rejection(
    spec: dict[str, Any], envelope: dict[str, Any], kind: int | None
) -> None:
    outcome = schema_validator(spec, "SubmitUpscaleTaskOutcome")
    assert outcome.is_valid(envelope) is (kind is not None)


def test_errors_are_documented_responses(spec: dict[str, Any]) -> None:
    responses = operation(spec)["responses"]
    assert {"200", "400", "401", "403"} <= set(responses)
    for status in ("400", "401", "403"):
        schema = resolve_in(spec, responses[status])["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}
