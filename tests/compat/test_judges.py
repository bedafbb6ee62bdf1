"""The gate's judges beside the wire: oasdiff, the generated Python API (griffe), the TypeScript consumer.

The fast tests run oasdiff itself (a tenth of a second) and griffe on small packages; the end-to-end
ones (marked slow) generate the Python client and compile the TypeScript consumer, and replay this
repository's own 1.0.0 → 1.1.0 change from git history.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import griffe
import pytest
import yaml

from hidream_contract.compat import oasdiff, sdk
from hidream_contract.compat.cli import run
from hidream_contract.compat.judge import Verdict
from hidream_contract.compat.judges import Finding, JudgeReport
from hidream_contract.compat.loading import load_file
from hidream_contract.compat.report import Outcome
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH, SUBMIT_ID

Spec = dict[str, Any]


@pytest.fixture(scope="module")
def base() -> Spec:
    return load_file(SPEC_PATH)


def write(path: Path, spec: Spec) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def renamed_operation(spec: Spec) -> Spec:
    """`submitUpscaleTask` → `createUpscaleTask`: nothing changes on the wire."""
    new = copy.deepcopy(spec)
    for item in new["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == SUBMIT_ID:
                operation["operationId"] = "createUpscaleTask"
    return new


def retitled_schema(spec: Spec) -> Spec:
    """UpscaleTask's title → QueuedTask: the generated class name changes, the wire does not."""
    new = copy.deepcopy(spec)
    new["components"]["schemas"]["UpscaleTask"]["title"] = "QueuedTask"
    return new


# --- oasdiff ------------------------------------------------------------------------------------


def test_oasdiff_reports_an_operation_id_rename_as_an_error_with_its_rule_id(
    base: Spec, tmp_path: Path
) -> None:
    old, new = write(tmp_path / "old.yaml", base), write(tmp_path / "new.yaml", renamed_operation(base))
    report = oasdiff.judge(old, new, tmp_path)
    assert report.breaking, report
    [finding] = [f for f in report.findings if f.rule == "api-operation-id-removed"]
    assert finding.level == "error"
    # oasdiff's own words, both names in them
    assert "submitUpscaleTask" in finding.text
    assert "createUpscaleTask" in finding.text
    assert oasdiff.TITLE.startswith(f"oasdiff {oasdiff.OASDIFF_VERSION} ")


def test_make_install_put_the_pinned_oasdiff_in_place() -> None:
    done = subprocess.run([str(oasdiff.binary()), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["oasdiff", "version", oasdiff.OASDIFF_VERSION]
    install = (ROOT / "scripts" / "install").read_text(encoding="utf-8")
    assert "src/hidream_contract/compat/oasdiff.py" in install  # the version's one place
    assert 'go install "github.com/oasdiff/oasdiff@v$oasdiff_version"' in install


def test_oasdiff_keeps_its_own_level_for_checks_we_do_not_raise(base: Spec, tmp_path: Path) -> None:
    """The SDK levels raise chosen checks only: the same rename is `info` to oasdiff's defaults."""
    old, new = write(tmp_path / "old.yaml", base), write(tmp_path / "new.yaml", renamed_operation(base))
    done = subprocess.run(
        [str(oasdiff.binary()), "changelog", str(old), str(new), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"level":1' in done.stdout
    assert '"level":3' not in done.stdout
    assert oasdiff.SDK_LEVELS["api-operation-id-removed"] == "err"


def test_oasdiff_finds_nothing_in_a_compatible_change(base: Spec, tmp_path: Path) -> None:
    new = copy.deepcopy(base)
    new["components"]["schemas"]["UpscaleRequest"]["properties"]["seed"] = {"type": "integer"}
    report = oasdiff.judge(write(tmp_path / "o.yaml", base), write(tmp_path / "n.yaml", new), tmp_path)
    assert (report.breaking, report.verdict) == (False, "compatible")
    assert "change(s) found" in report.note


@pytest.mark.slow
def test_a_missing_oasdiff_is_a_gate_that_could_not_run(
    base: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OASDIFF", str(tmp_path / "no-oasdiff"))
    old = write(tmp_path / "old.yaml", base)
    report = tmp_path / "report.md"
    code = run(
        [str(old), "--spec", str(old), "--report", str(report), "--judges", "wire,oasdiff", "--examples", "5"]
    )
    assert code == 2
    text = report.read_text(encoding="utf-8")
    assert "NO VERDICT: judge(s) oasdiff could not run" in text
    assert f"Could not run: oasdiff is not installed at {tmp_path / 'no-oasdiff'}: run make install" in text
    assert "oasdiff: could not run" in capsys.readouterr().out


# --- griffe on attrs models ---------------------------------------------------------------------

MODEL = """
from attrs import define as _attrs_define
from attrs import field as _attrs_field


@_attrs_define
class Request:
    image: str
    ratio: int{ratio}
    extra: dict = _attrs_field(init=False, factory=dict)

    @property
    def keys(self) -> list[str]:
        return list(self.extra)
"""


def package(root: Path, ratio_default: str) -> Path:
    folder = root / sdk.PACKAGE
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(MODEL.format(ratio=ratio_default), encoding="utf-8")
    return root


def test_an_attrs_argument_that_loses_its_default_is_a_breakage(tmp_path: Path) -> None:
    old = sdk._load(package(tmp_path / "old", " = 2"))
    new = sdk._load(package(tmp_path / "new", ""))
    init = old["Request"].members["__init__"]
    # init=False fields and properties are left out
    assert [p.name for p in init.parameters] == ["self", "image", "ratio"]
    [breakage] = list(griffe.find_breaking_changes(old, new))
    finding = sdk._describe(breakage)
    assert finding.rule == "PARAMETER_CHANGED_REQUIRED"
    assert finding.where == f"{sdk.PACKAGE}.Request.__init__(ratio)"
    assert finding.text == "Parameter is now required: ratio=2 -> ratio (required)"
    # And the reverse, a default added, breaks nobody.
    assert list(griffe.find_breaking_changes(new, old)) == []


# --- the verdict --------------------------------------------------------------------------------


def sdk_break() -> JudgeReport:
    return JudgeReport(
        "python-sdk", "Python SDK", [Finding("error", "OBJECT_REMOVED", "Public object was removed", "m")]
    )


def test_the_strictest_judge_decides_and_the_bump_follows_it() -> None:
    outcome = Outcome("1.1.0", "1.2.0", Verdict(), [], identical=False, judges=[sdk_break()])
    assert (outcome.breaking, outcome.bump, outcome.exit_code) == (True, "major", 1)
    assert outcome.suggested_version() == "2.0.0"
    assert outcome.headline().startswith(
        "BREAKING for SDK users (found by: python-sdk): the wire is compatible"
    )
    assert "**Breaking for SDK users:** the generated Python client's public API: `m`: Public object" in (
        outcome.changelog()
    )
    bumped = Outcome("1.1.0", "2.0.0", Verdict(), [], identical=False, judges=[sdk_break()])
    assert bumped.exit_code == 0
    warned = JudgeReport("oasdiff", "oasdiff", [Finding("warning", "some-check", "may break")])
    calm = Outcome("1.1.0", "1.1.1", Verdict(), [], identical=False, judges=[warned])
    assert (calm.breaking, calm.bump, calm.exit_code) == (False, "patch", 0)
    failed = Outcome(
        "1.1.0", "1.1.1", Verdict(), [], identical=False, judges=[JudgeReport("x", "x", error="gone")]
    )
    assert failed.exit_code == 2
    assert failed.headline().startswith("NO VERDICT")


# --- end to end ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_sdk_breaking_renames_are_caught_though_the_wire_is_unchanged(base: Spec) -> None:
    """The issue's example: renaming an operationId (or a schema's title) passed the wire-only gate."""
    renamed = renamed_operation(base)
    python = sdk.python_judge(base, renamed)
    assert python.breaking, python
    removed = {f.where for f in python.findings if f.rule == "OBJECT_REMOVED"}
    assert f"{sdk.PACKAGE}.api.upscale.submit_upscale_task" in removed
    typescript = sdk.typescript_judge(base, renamed)
    assert typescript.breaking, typescript
    assert any(f.rule.startswith("TS") and "submitUpscaleTask" in f.text for f in typescript.findings)

    retitled = sdk.python_judge(base, retitled_schema(base))
    assert f"{sdk.PACKAGE}.models.UpscaleTask" in {f.where for f in retitled.findings}
    unchanged = sdk.python_judge(base, copy.deepcopy(base))
    assert (unchanged.breaking, unchanged.findings) == (False, [])
    # A new optional body field is a new keyword argument with a default, appended: nobody breaks.
    optional = copy.deepcopy(base)
    optional["components"]["schemas"]["UpscaleRequest"]["properties"]["seed"] = {"type": "integer"}
    assert sdk.python_judge(base, optional).findings == []
    required = copy.deepcopy(optional)
    required["components"]["schemas"]["UpscaleRequest"]["required"].append("seed")
    added = sdk.python_judge(base, required).findings
    assert (
        "PARAMETER_ADDED_REQUIRED",
        f"{sdk.PACKAGE}.models.upscale_request.UpscaleRequest.__init__(seed)",
    ) in {(f.rule, f.where) for f in added}


def spec_at_version(version: str) -> str:
    """The spec as committed when `info.version` first was `version` (git history of openapi/)."""
    relative = SPEC_PATH.relative_to(ROOT).as_posix()
    commits = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--format=%H", "--reverse", "--", relative],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    found = None
    for commit in commits:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:{relative}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if str(yaml.safe_load(text)["info"]["version"]) == version:
            found = text  # the last commit at that version: the spec as it was released
        elif found is not None:
            break
    if found is None:
        pytest.skip(f"the git history of {relative} (no commit at {version}) is not here: a shallow clone?")
    return found


@pytest.mark.slow
def test_the_gate_calls_this_repos_own_1_1_0_breaking_for_python_sdk_users(tmp_path: Path) -> None:
    old, new = tmp_path / "1.0.0.yaml", tmp_path / "1.1.0.yaml"
    old.write_text(spec_at_version("1.0.0"), encoding="utf-8")
    new.write_text(spec_at_version("1.1.0"), encoding="utf-8")
    report = tmp_path / "report.md"
    assert run([str(old), "--spec", str(new), "--report", str(report)]) == 1
    text = report.read_text(encoding="utf-8")
    assert "**BREAKING for SDK users (found by: oasdiff, python-sdk): the wire is compatible" in text
    assert "this major change calls for 2.0.0" in text
    # Each judge in its own words.
    assert "| wire (schemathesis samples, jsonschema) | compatible |" in text
    assert "- error [api-schema-removed] at `components`: removed the schema `UpscaleTaskEnvelope`" in text
    assert (
        "- error [PARAMETER_CHANGED_REQUIRED] at "
        f"`{sdk.PACKAGE}.models.upscale_request.UpscaleRequest.__init__(upsale_ratio)`: "
        "Parameter is now required: upsale_ratio=UpsaleRatio.X2 -> upsale_ratio (required)"
    ) in text
    assert (
        f"- error [OBJECT_REMOVED] at `{sdk.PACKAGE}.models.UpscaleTaskEnvelope`: Public object was removed"
        in text
    )
    assert "## [2.0.0] - " in text
    assert "**Breaking for SDK users:**" in text
