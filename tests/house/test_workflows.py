"""The CI workflows: actionlint-clean (and actionlint does catch a broken one), pinned, least privilege,
calling the same make targets a person runs; the drift-issue script opens ONE issue and then comments."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hidream_contract.distribution import distribution_name
from hidream_contract.project import ROOT, SCRIPTS

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return loaded


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-color=false", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_workflows_pass_actionlint() -> None:
    done = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "nightly.yml"
    text = (WORKFLOWS / "nightly.yml").read_text(encoding="utf-8")
    assert "needs.live.outputs.status" in text
    broken.write_text(
        text.replace("needs.live.outputs.status", "needs.lives.outputs.status"), encoding="utf-8"
    )
    done = actionlint(broken)
    assert done.returncode == 1
    assert 'property "lives" is not defined' in done.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        uses = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
        assert uses, path
        for line in uses:
            assert PINNED.match(line), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("name", ["ci.yml", "nightly.yml"])
def test_least_privilege(name: str) -> None:
    flow = workflow(name)
    assert flow["permissions"] == {}  # nothing by default; each job asks for what it needs
    for job_name, job in flow["jobs"].items():
        granted = job["permissions"]
        assert granted.get("contents") == "read", job_name
        assert set(granted) <= {"contents", "issues", "actions"}, job_name
        # Reading an earlier run's artifact (the previous night's cassette) is the one extra read.
        assert granted.get("actions") == ("read" if job_name == "since-last-night" else None), job_name
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes == ({"issues"} if job_name == "drift-issue" else set()), job_name


def runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_ci_calls_the_make_targets() -> None:
    flow = workflow("ci.yml")
    assert set(flow[True]) == {"pull_request", "push"}  # YAML 1.1 reads the key `on` as true
    assert "make test" in runs(flow["jobs"]["test"])
    compat = flow["jobs"]["compat"]
    assert compat["if"] == "github.event_name == 'pull_request'"
    assert 'make compat BASE="origin/$TARGET_BRANCH"' in runs(compat)
    assert compat["steps"][0]["with"]["fetch-depth"] == 0


def test_nightly_gives_the_token_to_the_live_step_only() -> None:
    flow = workflow("nightly.yml")
    assert set(flow[True]) == {"schedule", "workflow_dispatch"}
    text = (WORKFLOWS / "nightly.yml").read_text(encoding="utf-8")
    assert text.count("secrets.HIDREAM_API_TOKEN") == 1
    live = next(step for step in flow["jobs"]["live"]["steps"] if step.get("id") == "live")
    assert live["env"]["HIDREAM_API_TOKEN"] == "${{ secrets.HIDREAM_API_TOKEN }}"
    assert live["env"]["HIDREAM_LIVE_MAX_BILLABLE"] == "${{ vars.HIDREAM_LIVE_MAX_BILLABLE }}"
    assert live["env"]["HIDREAM_LIVE_PROBES"] == "${{ vars.HIDREAM_LIVE_PROBES }}"
    # The script itself: `make` would turn the verdict (0/1/2) into 2 for every failure.
    assert "scripts/contract-live || status=$?" in live["run"]
    assert "make contract-live" not in live["run"]
    issue = flow["jobs"]["drift-issue"]
    assert issue["if"] == "always() && needs.live.outputs.status == '1'"
    assert "scripts/drift-issue reports/live-drift-report.md" in runs(issue)
    assert "HIDREAM_API_TOKEN" not in yaml.safe_dump(issue)


def test_release_runs_on_version_tags_with_least_privilege() -> None:
    flow = workflow("release.yml")
    assert flow[True] == {"push": {"tags": ["v*.*.*"]}}
    assert flow["permissions"] == {}
    jobs = flow["jobs"]
    granted = {name: job["permissions"] for name, job in jobs.items()}
    assert granted == {
        "build": {"contents": "read"},
        "github": {"contents": "write"},  # creating the release and uploading its files
        "pypi": {"id-token": "write"},  # trusted publishing: an OIDC token, in this job only
    }
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert "secrets." not in text  # no stored PyPI token
    pypi = jobs["pypi"]
    assert pypi["environment"]["name"] == "pypi"  # protected: reviewers and a tag rule, set in the repo
    assert pypi["environment"]["url"].endswith("/" + distribution_name())
    assert set(pypi["needs"]) == {"build", "github"}
    assert pypi["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")


def test_release_checks_the_tag_first_then_tests_then_builds() -> None:
    jobs = workflow("release.yml")["jobs"]
    steps = runs(jobs["build"])
    check = steps.index('hidream_contract.distribution check-tag "$TAG"')
    assert check < steps.index("make test") < steps.index('make release TAG="$TAG"')
    uploads = {
        s["with"]["name"]: s["with"]["path"]
        for s in jobs["build"]["steps"]
        if "with" in s and "name" in s["with"]
    }
    assert uploads == {"release": "build/release/", "python-dist": "dist/"}
    github = runs(jobs["github"])
    assert 'gh release create "$TAG" release/assets/*' in github
    assert "--notes-file release/notes.md" in github


FAKE_GH = """#!/usr/bin/env bash
# A stand-in for the GitHub CLI: logs its arguments, answers `issue list` with $FAKE_OPEN_ISSUE.
echo "$*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "issue list") echo "${FAKE_OPEN_ISSUE:-}" ;;
  "issue create"|"issue comment") cp "${@: -1}" "$FAKE_GH_BODY" ;;
esac
"""


def drift_issue(tmp_path: Path, report: Path, open_issue: str = "") -> tuple[list[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH, encoding="utf-8")
    gh.chmod(0o755)
    log, body = tmp_path / "gh.log", tmp_path / "body.md"
    log.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_LOG": str(log),
        "FAKE_GH_BODY": str(body),
        "FAKE_OPEN_ISSUE": open_issue,
        "RUN_URL": "https://example.invalid/run/1",
    }
    done = subprocess.run(
        [str(SCRIPTS / "drift-issue"), str(report)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return log.read_text(encoding="utf-8").splitlines(), body.read_text(encoding="utf-8")


def test_drift_issue_opens_one_issue_then_comments(tmp_path: Path) -> None:
    assert shutil.which("bash")
    report = tmp_path / "live-drift-report.md"
    report.write_text(
        "# Live drift\n\n- `result.task_id` is missing\n- sent Authorization: Bearer sk-secret-value\n",
        encoding="utf-8",
    )
    calls, body = drift_issue(tmp_path, report)
    assert any(call.startswith("issue list --label live-drift --state open") for call in calls)
    assert any(call.startswith("issue create --title Live API drift") for call in calls)
    assert not any(call.startswith("issue comment") for call in calls)
    assert "- `result.task_id` is missing" in body
    assert "https://example.invalid/run/1" in body
    assert "sk-secret-value" not in body
    assert "Bearer ***" in body

    calls, body = drift_issue(tmp_path, report, open_issue="42")
    assert any(call.startswith("issue comment 42 --body-file") for call in calls)
    assert not any(call.startswith("issue create") for call in calls)


def test_drift_issue_without_a_report_still_says_so(tmp_path: Path) -> None:
    _, body = drift_issue(tmp_path, tmp_path / "missing.md")
    assert "(no drift report at" in body


def test_nightly_states_the_live_checks_own_defaults() -> None:
    """The comment people read when they set the variables says what the code does when they do not."""
    from hidream_contract.live.probes import budget_for_all, default_budget, paid_probes
    from hidream_contract.live.settings import PROBE_SETS, load

    text = " ".join(line.lstrip("# ") for line in (WORKFLOWS / "nightly.yml").read_text("utf-8").splitlines())
    defaults = load({"HIDREAM_API_TOKEN": "t"})
    assert f"unset = {default_budget()}" in text
    assert defaults.max_billable == default_budget() == len(paid_probes()) + 1
    assert f"HIDREAM_LIVE_PROBES ({' | '.join(PROBE_SETS)}; unset = {defaults.probes}" in text
    assert f"needs a budget of {budget_for_all()}" in text


FAKE_GH_RUNS = """#!/usr/bin/env bash
# A stand-in for the GitHub CLI: `run list` answers $FAKE_PREVIOUS_RUN, `run download` copies $FAKE_OLD.
echo "$*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "run list") echo "${FAKE_PREVIOUS_RUN:-}" ;;
  "run download") [ -n "${FAKE_OLD:-}" ] || exit 1; dir="${@: -1}"; cp "$FAKE_OLD" "$dir/live-cassette.har" ;;
esac
"""


def since_last_night(
    tmp_path: Path, new: Path, old: Path | None, previous: str = "41"
) -> tuple[int, str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH_RUNS, encoding="utf-8")
    gh.chmod(0o755)
    log = tmp_path / "gh.log"
    log.unlink(missing_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_LOG": str(log),
        "FAKE_PREVIOUS_RUN": previous,
        "FAKE_OLD": str(old or ""),
        "RUN_ID": "42",
    }
    done = subprocess.run(
        [str(SCRIPTS / "since-last-night"), str(new)], capture_output=True, text=True, env=env, check=False
    )
    calls = log.read_text(encoding="utf-8") if log.exists() else ""
    return done.returncode, done.stdout + done.stderr, calls


def _cassette(path: Path, code: Any) -> Path:
    entry = {
        "_probe": "upsale_ratio 3",
        "request": {"method": "POST", "url": "https://h/api-pub/gw/v3/image/image_upscaler/async"},
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"text": json.dumps({"code": code, "message": "bad", "request_id": str(code) * 8})},
        },
    }
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}), encoding="utf-8")
    return path


def test_nightly_compares_this_runs_cassette_with_the_previous_runs() -> None:
    flow = workflow("nightly.yml")
    job = flow["jobs"]["since-last-night"]
    assert job["needs"] == "live"
    assert "scripts/since-last-night reports/live-cassette.har" in runs(job)
    assert "HIDREAM_API_TOKEN" not in yaml.safe_dump(job)
    upload = next(
        s for s in flow["jobs"]["live"]["steps"] if s.get("name", "").startswith("Upload the reports")
    )
    assert upload["with"]["retention-days"] == 90  # docs/live-check.md says how long a cassette is kept


def test_since_last_night_says_the_service_changed(tmp_path: Path) -> None:
    assert shutil.which("bash")
    new = _cassette(tmp_path / "new.har", 1001)
    status, output, calls = since_last_night(tmp_path, new, _cassette(tmp_path / "same.har", 1001))
    assert (status, "0 answer(s) changed" in output) == (0, True), output
    assert "run list --workflow nightly.yml" in calls
    assert "run download 41 --name live-contract-reports" in calls
    status, output, _ = since_last_night(tmp_path, new, _cassette(tmp_path / "old.har", 40001))
    assert status == 1, output
    assert "code 40001 -> 1001" in output
    status, output, _ = since_last_night(tmp_path, new, None, previous="")  # the first night
    assert status == 0
    assert "nothing to compare" in output
    status, output, _ = since_last_night(tmp_path, new, None)  # an expired artifact
    assert status == 0
    assert "kept no cassette" in output
