"""The spec states every fact of the provider's documentation, and its examples are valid."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import PathNotFound, ServerNotFound
from openapi_core.testing import MockRequest, MockResponse

from hidream_contract.mock import base_path
from hidream_contract.project import ROOT
from hidream_contract.spec import load, operations, resolve_in, response_examples, submit

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
    # Staging, stand-ins, the mock and the proxy: the same documented path on another host.
    other = spec["servers"][1]
    assert other["url"] == "{scheme}://{host}" + urlsplit(spec["servers"][0]["url"]).path
    assert base_path(spec) == "/api-pub/gw/v3"
    assert set(other["variables"]) == {"scheme", "host"}
    assert list(spec["paths"][SUBMIT_PATH]) == ["post"]


# One request per operation, at a base URL: what openapi-core (an independent validator) is given.
def _request(base_url: str, method: str, path: str) -> MockRequest:
    parts = urlsplit(base_url)
    headers = {"Authorization": "Bearer any-token", "Content-Type": "application/json"}
    if method == "POST":
        body = json.dumps({"image": SAMPLE_IMAGE, "upsale_ratio": 2}).encode()
        return MockRequest(
            f"{parts.scheme}://{parts.netloc}", "post", parts.path + path, headers=headers, data=body
        )
    return MockRequest(
        f"{parts.scheme}://{parts.netloc}",
        method.lower(),
        parts.path + path,
        headers=headers,
        args={"task_id": "t-1"},
    )


@pytest.mark.parametrize("operation_path", [(op.method, op.path) for op in operations()], ids=str)
@pytest.mark.parametrize(
    "base_url",
    [
        "https://www.hidreamai.com/api-pub/gw/v3",
        "http://127.0.0.1:4010/api-pub/gw/v3",
        "https://staging.example:8443/api-pub/gw/v3",
    ],
)
def test_openapi_core_matches_the_documented_url_on_any_host(
    spec: dict[str, Any], base_url: str, operation_path: tuple[str, str]
) -> None:
    """The form the spec tells users to give (origin + /api-pub/gw/v3) is one an independent validator
    can match to a server; a request at the host's root (the mock's old mistake) is not."""
    api = OpenAPI.from_dict(spec)
    method, path = operation_path
    api.validate_request(_request(base_url, method, path))
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    with pytest.raises((ServerNotFound, PathNotFound)):
        api.validate_request(_request(origin, method, path))


def test_openapi_core_validates_the_examples_as_responses(spec: dict[str, Any]) -> None:
    api = OpenAPI.from_dict(spec)
    checked = 0
    for op in operations():
        request = _request("http://127.0.0.1:4010/api-pub/gw/v3", op.method, op.path)
        for (status, _name), value in response_examples(op.operation_id).items():
            response = MockResponse(
                json.dumps(value).encode(), status_code=status, content_type="application/json"
            )
            api.validate_response(request, response)
            checked += 1
    assert checked >= 10


def test_bearer_auth_is_required(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert operation(spec)["security"] == [{"bearerAuth": []}]


def test_headers(spec: dict[str, Any]) -> None:
    params = {p["name"]: p for p in (resolve_in(spec, p) for p in operation(spec)["parameters"])}
    lang = params["X-accept-language"]
    assert lang["in"] == "header"
    assert not lang["required"]
    # The values are a component schema every operation with the header shares (one generated enum);
    # they and the default are the provider page's row: "支持['en', 'zh'] ... 默认为"zh"".
    row = _reference_row("X-accept-language")[-1]
    values = re.findall(r"'([^']+)'", row)
    assert lang["schema"] == {"allOf": [{"$ref": "#/components/schemas/AcceptLanguage"}], "default": "zh"}
    assert f'默认为"{lang["schema"]["default"]}"' in row
    shared = spec["components"]["schemas"]["AcceptLanguage"]
    assert (shared["type"], shared["enum"]) == ("string", values)
    assert "default" not in shared  # the parameter's, stated once
    user = params["API-User-ID"]
    assert (user["in"], user["required"], user["schema"]["type"]) == ("header", False, "string")
    assert list(operation(spec)["requestBody"]["content"]) == ["application/json"]


def _reference_row(name: str) -> list[str]:
    """The cells of the provider page's table row for `name` (the page in openapi/reference/)."""
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"the provider's page has no row for {name}")


def test_body_fields(spec: dict[str, Any]) -> None:
    body = spec["components"]["schemas"]["UpscaleRequest"]
    assert body["required"] == ["image", "upsale_ratio"]
    props = body["properties"]
    assert props["image"]["type"] == "string"
    # The allowed values are the provider page's (its table row), not a copy kept here: a provider change
    # is made to the page in openapi/reference/ and to the spec, and this holds the two together.
    ratios = [int(n) for n in re.findall(r"\d+", _reference_row("upsale_ratio")[-1])]
    assert (props["upsale_ratio"]["type"], sorted(props["upsale_ratio"]["enum"])) == (
        "integer",
        sorted(ratios),
    )
    # Required, so no `default` (issue 11: it says nothing there, and openapi-generator's PHP breaks on it).
    assert "default" not in props["upsale_ratio"]
    versions = re.findall(r'"([^"]+)"', _reference_row("version")[-1])  # default "v1", range {"v1"}
    assert (props["version"]["enum"], props["version"]["default"]) == (sorted(set(versions)), versions[0])
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


def _page_lines(first: int, last: int) -> str:
    """Lines `first`..`last` (1-based, inclusive) of the provider's page, as the spec cites them."""
    return "\n".join(REFERENCE.read_text(encoding="utf-8").splitlines()[first - 1 : last])


def _cited_ranges(description: str) -> list[tuple[int, int]]:
    english = description.split(" / ")[0]  # the Chinese half cites the same lines
    return [(int(a), int(b)) for a, b in re.findall(r"\b(\d+)-(\d+)\b", english)]


def test_the_url_example_is_the_pages_body_less_its_trailing_comma(spec: dict[str, Any]) -> None:
    """The example says where it comes from and what was changed; both hold against the page."""
    example = operation(spec)["requestBody"]["content"]["application/json"]["examples"]["imageUrl"]
    assert "trailing comma removed" in example["description"]
    assert "verbatim" not in example["description"]
    ranges = _cited_ranges(example["description"])
    assert len(ranges) == 2  # the curl sample's body and the Python sample's `data`
    for first, last in ranges:
        text = _page_lines(first, last)
        body = text[text.index("{") : text.rindex("}") + 1]
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)  # as printed: not JSON
        assert json.loads(re.sub(r",\s*}", "}", body)) == example["value"]


def test_the_accepted_example_is_the_pages_response_as_printed(spec: dict[str, Any]) -> None:
    example = operation(spec)["responses"]["200"]["content"]["application/json"]["examples"]["accepted"]
    [(first, last)] = _cited_ranges(example["description"])
    assert json.loads(_page_lines(first, last)) == example["value"]


def _provenances(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if "x-provenance" in node:
            found.append((where, node["x-provenance"]))
        for key, value in node.items():
            found.extend(_provenances(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_provenances(value, f"{where}/{index}"))
    return found


def test_every_provenance_cites_a_source_or_says_it_infers(spec: dict[str, Any]) -> None:
    provenances = _provenances(spec)
    assert len(provenances) >= 2  # the result read and the callback
    for where, provenance in provenances:
        kinds = provenance["documented_by"]
        assert kinds, where
        if any(kind.startswith("inference") for kind in kinds) or "inferred" in provenance:
            assert provenance.get("inferred"), f"{where}: an inference must say what is inferred"
        if "provider-page" in kinds:
            page = str(provenance["provider_page"])
            line_no = int(re.search(r"zh\.txt line (\d+)", page).group(1))  # type: ignore[union-attr]
            quoted = re.search(r"\((\w+): (.+?)\)", page, re.S)
            assert quoted, f"{where}: quote the page's line"
            line = _page_lines(line_no, line_no)
            assert line.startswith(quoted.group(1) + " "), (where, line)
            assert re.sub(r"\s+", "", quoted.group(2)) in re.sub(r"\s+", "", line), (where, line)
        else:
            assert provenance["provider_page"] is False, where
        code = provenance.get("provider_client_code")
        if isinstance(code, dict):  # file:line citations at a fixed commit
            assert re.fullmatch(r"[0-9a-f]{7,40}", code["commit"]), where
            for citation in code["read_by_that_code"] + code.get("only_for_other_operations", []):
                assert re.match(r"scripts/[\w/]+\.py:\d+", citation), (where, citation)


def test_the_notify_url_callback_claims_nothing_from_the_providers_code(spec: dict[str, Any]) -> None:
    callback = operation(spec)["callbacks"]["taskFinished"]["{$request.body#/notify_url}"]["post"]
    provenance = callback["x-provenance"]
    assert provenance["documented_by"] == ["provider-page"]
    assert str(provenance["provider_client_code"]).startswith("none")
    assert "task_client.py" not in json.dumps(callback)


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


def task_status_statement(spec: dict[str, Any]) -> str:
    """The task-status rules in words, made from the spec's `TaskStatus` x-fields: docs/spec.md must say
    exactly this, so its wording cannot drift from the spec."""
    status = spec["components"]["schemas"]["TaskStatus"]
    failed, succeeded = status["x-failed"], status["x-succeeded"]
    non_final = ", ".join(str(v) for v in status["x-non-final"])
    return "\n".join(
        [
            f"- Failed: any sub-task at {' or '.join(str(v) for v in failed['statuses'])}.",
            f"- Succeeded: every sub-task at {succeeded['status']}, "
            f"and the output (`{succeeded['needs_output']}`) present.",
            f"- Not final: {non_final}; also every sub-task at {succeeded['status']} without the output yet, "
            "a mix, or no sub-task yet.",
            "- Ended in an unknown, non-success state: every sub-task at a value that is neither "
            f"{succeeded['status']} nor a non-final one.",
            f"- Final statuses (`x-final`): {', '.join(str(v) for v in status['x-final'])}.",
        ]
    )


def test_the_docs_state_the_task_status_rules_of_the_spec(spec: dict[str, Any]) -> None:
    docs = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    block = docs.split("<!-- task-status:begin -->\n")[1].split("\n<!-- task-status:end -->")[0]
    assert block == task_status_statement(spec)


def test_task_status_fields_agree_with_the_description(spec: dict[str, Any]) -> None:
    """The x-fields and the prose of `TaskStatus` say one thing; success and failure are final only."""
    status = spec["components"]["schemas"]["TaskStatus"]
    non_final, final = set(status["x-non-final"]), set(status["x-final"])
    assert not non_final & final
    assert final == {status["x-succeeded"]["status"], *status["x-failed"]["statuses"]}
    assert set(spec["components"]["schemas"]["KnownTaskStatus"]["enum"]) <= non_final | final
    description = " ".join(status["description"].split())
    assert f"Not final: 0, 2 and {min(non_final)} to {max(v for v in non_final if v < 0)}" in description
    assert f"Final: {', '.join(str(v) for v in sorted(final)[:-1])} and {max(final)}" in description
    assert (
        status["x-succeeded"]["needs_output"] in spec["components"]["schemas"]["SubTaskResult"]["properties"]
    )
