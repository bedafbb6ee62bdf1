"""`scripts/docs` renders the spec to a self-contained page that holds the whole operation."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from hidream_contract import docs_page
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH, load, submit

SUBMIT_PATH = submit().path


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("docs") / "index.html"
    done = subprocess.run(
        [SCRIPTS / "docs", str(SPEC_PATH), str(out)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_page_embeds_the_spec_verbatim(page: str, spec: dict[str, Any]) -> None:
    assert docs_page.embedded_definition(page) == spec


@pytest.mark.slow
def test_page_holds_the_operation_and_every_parameter_and_body_field(page: str, spec: dict[str, Any]) -> None:
    shown = docs_page.embedded_definition(page)
    op = docs_page.operation(shown)
    assert op["operationId"] == "submitUpscaleTask"
    assert op["summary"] == docs_page.operation(spec)["summary"]
    assert docs_page.parameter_names(shown) == ["X-accept-language", "API-User-ID"]
    fields = ["image", "upsale_ratio", "version", "notify_url", "request_id"]
    assert docs_page.body_field_names(shown) == fields


@pytest.mark.slow
def test_page_holds_both_request_examples(page: str, spec: dict[str, Any]) -> None:
    shown = docs_page.request_examples(docs_page.embedded_definition(page))
    assert shown == docs_page.request_examples(spec)
    assert shown["imageUrl"]["image"].startswith("https://storage.hidreamai.com/")
    # The base64 example is a real PNG: its signature, base64-encoded, starts the value.
    assert shown["imageBase64"]["image"].startswith("iVBORw0KGgo")
    ratios = spec["components"]["schemas"]["UpscaleRequest"]["properties"]["upsale_ratio"]["enum"]
    assert {ex["upsale_ratio"] for ex in shown.values()} <= set(ratios)


@pytest.mark.slow
def test_prerendered_text_names_the_api(page: str, spec: dict[str, Any]) -> None:
    text = docs_page.visible_text(page)
    assert spec["info"]["title"] in text
    assert spec["info"]["summary"] in text


@pytest.mark.slow
def test_page_is_self_contained_and_telemetry_is_off(page: str) -> None:
    assert docs_page.external_resources(page) == []
    assert "hydrate(__redoc_definition" in page  # Redoc's script is inlined, not fetched
    assert docs_page.embedded_options(page)["disableTelemetry"] is True


def test_operation_route_and_phrases_come_from_the_spec(spec: dict[str, Any]) -> None:
    assert docs_page.operation_route(spec) == "#/upscale/submitupscaletask"
    phrases = docs_page.rendered_operation_phrases(spec)
    assert SUBMIT_PATH in phrases
    assert {"X-accept-language", "API-User-ID", "upsale_ratio", "notify_url"} <= set(phrases)


def test_rendered_check_names_what_a_page_lacks(spec: dict[str, Any]) -> None:
    # The browser check's verdict, on a hand-made DOM that shows everything but one header.
    shown = " ".join(f"<span>{p}</span>" for p in docs_page.rendered_operation_phrases(spec))
    assert docs_page.missing_from_rendered(f"<body>{shown}</body>", spec) == []
    without_user_id = shown.replace("<span>API-User-ID</span>", "")
    assert docs_page.missing_from_rendered(f"<body>{without_user_id}</body>", spec) == ["API-User-ID"]
    # Text inside scripts does not count as shown.
    in_script = f"<body>{without_user_id}<script>API-User-ID</script></body>"
    assert docs_page.missing_from_rendered(in_script, spec) == ["API-User-ID"]


def test_page_without_embedded_spec_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="embeds no API description"):
        docs_page.embedded_definition("<html><body>nothing</body></html>")


@pytest.mark.slow
def test_docs_script_names_a_missing_spec(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    done = subprocess.run(
        [SCRIPTS / "docs", str(missing), str(tmp_path / "out.html")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert f"no OpenAPI document at {missing}" in done.stderr


@pytest.mark.slow
def test_docs_script_fails_on_an_unreadable_spec(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\npaths: [this is: not yaml: at all\n", encoding="utf-8")
    done = subprocess.run(
        [SCRIPTS / "docs", str(broken), str(tmp_path / "out.html")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "redocly build-docs failed" in done.stderr
