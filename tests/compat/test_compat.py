"""The breaking-change gate classifies real spec edits: variants of the real spec, built in tmp dirs."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hidream_contract.compat.changes import Change, diff
from hidream_contract.compat.cli import run
from hidream_contract.compat.judge import Finding, Verdict, judge
from hidream_contract.compat.loading import CompatError, default_base, load_file, parse_spec
from hidream_contract.compat.openapi import covering_status, media_type_matches
from hidream_contract.compat.report import Outcome, _touches, parse_version
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH, submit

SUBMIT_PATH = submit().path

EXAMPLES = 20  # per operation and response: enough to reach every branch of this spec, quick to run
Spec = dict[str, Any]
Edit = Callable[[Spec], None]


@pytest.fixture(scope="module")
def base() -> Spec:
    """The spec at a fixed `info.version` (1.0.0): the versions the gate suggests below follow from it."""
    spec = load_file(SPEC_PATH)
    spec["info"]["version"] = "1.0.0"
    return spec


def schemas(spec: Spec) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


def post(spec: Spec) -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][SUBMIT_PATH]["post"]
    return found


def optional_body_field(spec: Spec) -> None:
    schemas(spec)["UpscaleRequest"]["properties"]["seed"] = {"type": "integer", "description": "x / x"}


def required_body_field(spec: Spec) -> None:
    optional_body_field(spec)
    schemas(spec)["UpscaleRequest"]["required"].append("seed")


def removed_ratio(spec: Spec) -> None:
    ratio = schemas(spec)["UpscaleRequest"]["properties"]["upsale_ratio"]
    ratio["enum"], ratio["x-enum-varnames"] = [2], ["X2"]
    post(spec)["requestBody"]["content"]["application/json"]["examples"].pop("imageBase64")


def renamed_task_id(spec: Spec) -> None:
    task = schemas(spec)["UpscaleTask"]
    task["properties"]["taskId"] = task["properties"].pop("task_id")
    accepted = schemas(spec)["SubmitUpscaleTaskOutcome"]["then"]["properties"]["result"]
    accepted["properties"]["taskId"] = accepted["properties"].pop("task_id")
    accepted["required"] = ["taskId", "sub_task_ids"]
    accepted = post(spec)["responses"]["200"]["content"]["application/json"]["examples"]["accepted"]
    accepted["value"]["result"]["taskId"] = accepted["value"]["result"].pop("task_id")


def optional_response_field(spec: Spec) -> None:
    schemas(spec)["UpscaleTask"]["properties"]["queue_position"] = {"type": "integer"}


def new_429(spec: Spec) -> None:
    post(spec)["responses"]["429"] = {"$ref": "#/components/responses/Rejected"}


def new_error_code_example(spec: Spec) -> None:
    rejected = spec["components"]["responses"]["Rejected"]["content"]["application/json"]["examples"]
    rejected["tooLarge"] = {"summary": "x / x", "value": {"code": 1002, "message": "image too large"}}


def widened_response_field(spec: Spec) -> None:
    schemas(spec)["UpscaleTask"]["properties"]["task_id"]["type"] = ["string", "integer"]


def widened_request_field(spec: Spec) -> None:
    schemas(spec)["UpscaleRequest"]["properties"]["notify_url"]["type"] = ["string", "null"]


def removed_403(spec: Spec) -> None:
    post(spec)["responses"].pop("403")


def narrowed_language(spec: Spec) -> None:
    # The header's values are a component schema (shared by every operation with the header).
    spec["components"]["schemas"]["AcceptLanguage"]["enum"] = ["en"]
    spec["components"]["parameters"]["XAcceptLanguage"]["schema"]["default"] = "en"


def new_success_status(spec: Spec) -> None:
    post(spec)["responses"]["202"] = copy.deepcopy(post(spec)["responses"]["200"])


def moved_path(spec: Spec) -> None:
    spec["paths"]["/image/image_upscaler/v2/async"] = spec["paths"].pop(SUBMIT_PATH)


def required_header(spec: Spec) -> None:
    spec["components"]["parameters"]["ApiUserId"]["required"] = True


# (edit, breaking?, kind of the change named, where the first finding is — or None)
CASES: dict[str, tuple[Edit, bool, str | None, str | None]] = {
    "new optional body field": (optional_body_field, False, "property-added", None),
    "removed enum value of upsale_ratio": (
        removed_ratio,
        True,
        "enum-removed",
        "request body at `upsale_ratio`",
    ),
    "field renamed in result": (
        renamed_task_id,
        True,
        "property-renamed",
        "response 200 body at `result.task_id`",
    ),
    "new required body field": (required_body_field, True, "property-added", "request body at `seed`"),
    "new optional response field": (optional_response_field, False, "property-added", None),
    "new error status documented (429)": (new_429, False, "status-added", None),
    "new error code documented (example)": (new_error_code_example, False, None, None),
    # Widening is judged by direction: a request field that accepts more keeps every old request valid;
    # a response field that may carry more breaks old clients, whose model only reads the old type.
    "request field widened": (widened_request_field, False, "type-changed", None),
    "response field widened": (
        widened_response_field,
        True,
        "type-changed",
        "response 200 body at `result.task_id`",
    ),
    "documented error status removed": (removed_403, True, "status-removed", "response 403 status"),
    "header enum narrowed": (narrowed_language, True, "enum-removed", "request header 'X-accept-language'"),
    "header made required": (required_header, True, "parameter-required", "request header 'API-User-ID'"),
    "new success status": (new_success_status, True, "status-added", "response 202 status"),
    "operation moved": (moved_path, True, "operation-removed", "request operation"),
}


def variant(base: Spec, edit: Edit) -> Spec:
    spec = copy.deepcopy(base)
    edit(spec)
    # Every variant is itself a valid OpenAPI document, as a real edit would be.
    return parse_spec(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "variant")


@pytest.mark.parametrize("name", list(CASES))
def test_gate_classifies_the_change(base: Spec, name: str) -> None:
    edit, breaking, kind, where = CASES[name]
    new = variant(base, edit)
    verdict = judge(base, new, examples=EXAMPLES, seed=7)
    assert verdict.breaking is breaking, [(e.finding.where, e.finding.message) for e in verdict.evidence]
    if where is not None:
        assert verdict.evidence[0].finding.where == where
    changes = diff(base, new)
    if kind is None:
        assert changes == []
    else:
        assert kind in {c.kind for c in changes}
    if kind == "operation-removed":
        return
    # Every old request and every new response of each status was looked at.
    assert verdict.requests_checked >= EXAMPLES
    assert verdict.responses_checked >= EXAMPLES * 3


def test_unchanged_spec_is_compatible_and_needs_no_version(base: Spec) -> None:
    verdict = judge(base, copy.deepcopy(base), examples=EXAMPLES, seed=7)
    outcome = Outcome("1.0.0", "1.0.0", verdict, diff(base, base), identical=True)
    assert (verdict.breaking, outcome.bump, outcome.exit_code) == (False, "none", 0)


def test_a_breaking_finding_names_the_sample_that_shows_it(base: Spec) -> None:
    verdict = judge(base, variant(base, removed_ratio), examples=EXAMPLES, seed=7)
    evidence = verdict.evidence[0]
    assert evidence.sample_source == "example 'imageBase64'"
    assert '"upsale_ratio": 4' in evidence.sample
    assert evidence.finding.message == "4 is not one of [2]"


def test_rename_is_named_once_with_both_names(base: Spec) -> None:
    changes = [c for c in diff(base, variant(base, renamed_task_id)) if c.kind == "property-renamed"]
    assert {c.text for c in changes} == {"`result.task_id` renamed to `taskId`"}
    assert {c.status for c in changes} == {"200"}


def write(path: Path, spec: Spec) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_major_bump_turns_breaking_into_exit_0(base: Spec, tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", base)
    breaking = variant(base, removed_ratio)
    new = write(tmp_path / "new.yaml", breaking)
    report = tmp_path / "report.md"
    args = [str(old), "--spec", str(new), "--report", str(report), "--examples", "20", "--judges", "wire"]
    assert run(args) == 1
    text = report.read_text(encoding="utf-8")
    assert "BREAKING: clients generated from the old spec break" in text
    assert "this major change calls for 2.0.0" in text
    assert "## [2.0.0] - " in text
    assert f"- **Breaking:** POST {SUBMIT_PATH} request body: value(s) [4] of `upsale_ratio`" in text

    breaking["info"]["version"] = "2.0.0"
    write(tmp_path / "new.yaml", breaking)
    assert run(args) == 0
    text = report.read_text(encoding="utf-8")
    assert "BREAKING, released as a new major version (1.0.0 → 2.0.0)" in text
    assert "`info.version` 2.0.0 fits this major change" in text


def test_compatible_change_asks_for_a_minor_version(base: Spec, tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", base)
    new = write(tmp_path / "new.yaml", variant(base, optional_body_field))
    report = tmp_path / "report.md"
    args = [str(old), "--spec", str(new), "--report", str(report), "--examples", "20", "--judges", "wire"]
    assert run(args) == 0
    text = report.read_text(encoding="utf-8")
    assert "**COMPATIBLE" in text
    assert "this minor change calls for 1.1.0" in text
    assert f"### Added\n\n- POST {SUBMIT_PATH} request body: optional `seed`" in text
    assert "**Breaking:**" not in text


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, base: Spec) -> Path:
    """A git repo whose main holds the real spec, checked out on a feature branch."""
    root = tmp_path / "repo"
    (root / "openapi").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write(root / "openapi" / "api.yaml", base)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "spec 1.0.0")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def compat_in(repo: Path, *args: str) -> int:
    spec = repo / "openapi" / "api.yaml"
    return run(
        [
            *args,
            "--repo",
            str(repo),
            "--spec",
            str(spec),
            "--report",
            str(repo / "report.md"),
            "--examples",
            "20",
            "--judges",
            "wire",
        ]
    )


@pytest.mark.slow
def test_git_mode_compares_against_the_merge_base(repo: Path, base: Spec) -> None:
    merge_base = git(repo, "rev-parse", "HEAD")
    # Uncommitted edits of the working tree are judged too (BASE equal to HEAD).
    write(repo / "openapi" / "api.yaml", variant(base, renamed_task_id))
    assert default_base(repo) == merge_base
    assert compat_in(repo) == 1
    assert f"Old spec: {merge_base[:12]} (merge base with main)" in (repo / "report.md").read_text(
        encoding="utf-8"
    )
    git(repo, "commit", "-q", "-am", "rename")
    assert compat_in(repo) == 1
    assert compat_in(repo, "HEAD") == 0  # against itself
    # main moving on does not move the merge base.
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    git(repo, "checkout", "-q", "feature")
    assert default_base(repo) == merge_base


def test_git_mode_reports_what_it_could_not_do(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compat_in(repo, "no-such-ref") == 2
    assert "'no-such-ref' is neither a spec file nor a git ref" in capsys.readouterr().err
    git(repo, "mv", "openapi/api.yaml", "openapi/renamed.yaml")
    git(repo, "commit", "-q", "-m", "move")
    spec = repo / "openapi" / "renamed.yaml"
    assert run(["main", "--repo", str(repo), "--spec", str(spec), "--report", str(repo / "r.md")]) == 2
    assert "there is no openapi/renamed.yaml at main: nothing to compare" in capsys.readouterr().err
    git(repo, "branch", "-m", "main", "trunk")
    with pytest.raises(CompatError, match="no 'main' \\(nor 'origin/main'\\) branch"):
        default_base(repo)


def test_not_a_spec_is_reported_as_could_not_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: {}\npaths: {}\n", encoding="utf-8")
    assert run([str(SPEC_PATH), "--spec", str(broken), "--report", str(tmp_path / "r.md")]) == 2
    assert 'is not a valid OpenAPI document: "title" is a required property\n' in capsys.readouterr().err
    broken.write_text("paths: [", encoding="utf-8")
    with pytest.raises(CompatError, match="is not valid YAML"):
        load_file(broken)


@pytest.mark.slow
def test_script_runs_the_gate_on_spec_files(base: Spec, tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", base)
    new = write(tmp_path / "new.yaml", variant(base, new_429))
    report = tmp_path / "report.md"
    env = {**os.environ, "COMPAT_SPEC": str(new), "COMPAT_REPORT": str(report)}
    done = subprocess.run(
        [SCRIPTS / "compat", str(old)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "==> compat: COMPATIBLE" in done.stdout
    text = report.read_text(encoding="utf-8")
    assert f"### Added\n\n- response 429 of POST {SUBMIT_PATH}" in text
    # The script runs every judge, and each says its verdict in the table.
    for title in ("wire (", "oasdiff 1.", "Python SDK (", "TypeScript consumer ("):
        assert f"| {title}" in text
    assert "| could not run |" not in text


@pytest.mark.slow
def test_info_version_is_the_generated_package_version(base: Spec, tmp_path: Path) -> None:
    generated = (ROOT / "generated_client" / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{load_file(SPEC_PATH)["info"]["version"]}"' in generated
    # And it follows the spec: a bumped spec generates a bumped package.
    bumped = copy.deepcopy(base)
    bumped["info"]["version"] = "1.4.2"
    spec = write(tmp_path / "spec.yaml", bumped)
    out = tmp_path / "client"
    subprocess.run(
        [
            "openapi-python-client",
            "generate",
            "--path",
            str(spec),
            "--config",
            str(ROOT / "config" / "openapi-python-client.yaml"),
            "--meta",
            "uv",
            "--output-path",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"},
    )
    assert 'version = "1.4.2"' in (out / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "parsed"), [("1.0.0", (1, 0, 0)), ("12.3.4-rc.1", (12, 3, 4)), ("1.0", None), ("v1.0.0", None)]
)
def test_parse_version(text: str, parsed: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == parsed


@pytest.mark.parametrize(
    ("statuses", "status", "covering"),
    [
        ({"200": 1}, "200", "200"),
        ({"4XX": 1}, "429", "4XX"),
        ({"default": 1}, "500", "default"),
        ({"200": 1}, "404", None),
    ],
)
def test_covering_status(statuses: dict[str, Any], status: str, covering: str | None) -> None:
    assert covering_status(statuses, status) == covering


def test_media_type_ranges() -> None:
    assert media_type_matches("application/*", "application/json; charset=utf-8")
    assert media_type_matches("*/*", "image/png")
    assert not media_type_matches("application/json", "text/plain")


def test_a_finding_is_tied_to_the_change_at_its_place() -> None:
    change = Change("enum-removed", "request", "POST /x", None, "body", ("ratio",), "value(s) [4] of `ratio`")
    assert _touches(change, Finding("request", "POST /x", None, "body", ("ratio",), "4 is not one of [2]"))
    assert not _touches(change, Finding("request", "POST /x", None, "body", ("image",), "too short"))
    assert not _touches(change, Finding("response", "POST /x", "200", "body", ("ratio",), "m"))
    item = Change("type-changed", "response", "POST /x", "200", "body", ("ids", "*"), "t")
    assert _touches(item, Finding("response", "POST /x", "200", "body", ("ids", 3), "m"))
    outcome = Outcome("1.0.0", "1.0.0", Verdict(), [change], identical=False)
    assert (outcome.bump, outcome.suggested_version(), outcome.breaking_changes) == ("minor", "1.1.0", [])


def test_a_shallow_clone_without_the_merge_base_says_how_to_fix_it(repo: Path, tmp_path: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "feature work")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    clone = tmp_path / "clone"
    source = f"file://{repo}"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        "--branch",
        "feature",
        source,
        str(clone),
    )
    with pytest.raises(CompatError, match=r"no merge base of HEAD and origin/main: this clone is shallow"):
        default_base(clone)
