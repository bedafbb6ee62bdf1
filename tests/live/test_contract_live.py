"""The live check against the local stand-in: the exit status is the expected one, and it says why.

Most runs are in process (`hidream_contract.live.__main__.main(env)`: the same entry point the script
runs, with its report, JUnit and summary); a few, marked slow, run scripts/contract-live as a
subprocess, where the process boundary is what is tested (the script, its exit status, its output).

Every run checks, besides its own assertions: the stand-in billed no more tasks than
HIDREAM_LIVE_MAX_BILLABLE allows (tasks from requests carrying the token: nobody is billed for the
others), every request the stand-in saw went through the guard, the report and JUnit were written,
and the token (a canary) appears in no output and no file the run wrote.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from hidream import Secret
from hidream_contract.live.__main__ import main
from hidream_contract.live.auth import authorization_scheme, documented_forms, other_forms
from hidream_contract.live.findings import LiveResult
from hidream_contract.live.guard import (
    Budget,
    BudgetExhausted,
    CouldNotRun,
    DeadlineExceeded,
    GuardedAdapter,
    NoAnswer,
    TaskEvidence,
    Traffic,
    authorization_digest,
    task_evidence,
)
from hidream_contract.live.guard import guarded_session as make_session
from hidream_contract.live.probes import (
    Kind,
    budget_for_all,
    curl_sample_probe,
    default_budget,
    negative_probes,
    optional_fields,
    optional_headers,
    paid_probes,
    plan,
    required_only,
    sample,
    silent_probes,
)
from hidream_contract.live.requests_model import (
    Intent,
    cannot_be_task,
    expectation_for,
    header_parameters,
    names_real_image,
    request_schema,
)
from hidream_contract.live.runner import LiveRun
from hidream_contract.live.samples import curl_sample, python_sample
from hidream_contract.live.settings import UsageError, load
from hidream_contract.live.surface import coverage, documented_surface, share
from hidream_contract.mock_checks import MOCK_CHECKS, MOCK_EXCLUDED_CHECKS
from hidream_contract.project import CONFIG, ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH, production_base_url, submit
from hidream_sim import MODES, StandIn, running_standin

SUBMIT_PATH = submit().path

CANARY = "canary-tok-5f0c7e19ab"
DEFAULT_BUDGET = default_budget()
PAID = len(paid_probes())
SWEEP_BUDGET = 3  # every mode is judged at this budget: the paid probes, no spare
RUN_TIMEOUT_S = 120
FAST = {  # a local stand-in needs no politeness, and a few negative cases per run are enough here
    "HIDREAM_LIVE_MAX_RPS": "1000",
    "HIDREAM_LIVE_MAX_RETRY_WAIT_S": "0",
    "HIDREAM_LIVE_FUZZ_EXAMPLES": "10",
    "HIDREAM_LIVE_RESULT_INTERVAL_S": "0",  # the stand-in's tasks move one status per read
}


@dataclass
class Run:
    status: int
    output: str
    report: str
    junit: str
    standin: StandIn | None


def _settings(
    reports: Path, budget: int | None, probes: str | None, env: dict[str, str] | None, base_url: str | None
) -> dict[str, str]:
    full = {**FAST, "HIDREAM_API_TOKEN": CANARY, "HIDREAM_LIVE_REPORTS_DIR": str(reports)}
    if budget is not None:
        full["HIDREAM_LIVE_MAX_BILLABLE"] = str(budget)
    if probes is not None:
        full["HIDREAM_LIVE_PROBES"] = probes
    full.update({"HIDREAM_API_BASE_URL": base_url} if base_url else {})
    full.update(env or {})
    return {k: v for k, v in full.items() if v != "<unset>"}


def _finish(done: tuple[int, str], reports: Path, standin: StandIn | None, limit: int) -> Run:
    status, output = done
    report_file, junit_file = reports / "live-drift-report.md", reports / "live-junit.xml"
    report = report_file.read_text("utf-8") if report_file.exists() else ""
    junit = junit_file.read_text("utf-8") if junit_file.exists() else ""
    # The canary token never shows: not on the terminal, not in any file the run wrote.
    assert CANARY not in output
    for path in reports.rglob("*") if reports.exists() else []:
        assert CANARY not in path.read_text("utf-8", errors="replace"), f"token leaked into {path.name}"
    if standin is not None:
        assert standin.billed_tasks <= limit, f"{standin.billed_tasks} billed tasks, budget {limit}"
        counted = re.search(r"requests sent: (\d+)", report)
        if counted is not None:  # every request the stand-in saw went through the guard, which counted it
            assert int(counted.group(1)) == standin.requests
    return Run(status, output, report, junit, standin)


def check_run(
    tmp_path: Path,
    mode: str | None = "faithful",
    *,
    standin_token: str = CANARY,
    budget: int | None = None,
    probes: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """The live check's entry point, in process, against a fresh stand-in (or none, with mode=None)."""
    reports = tmp_path / "reports"

    def _main(base_url: str | None) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(_settings(reports, budget, probes, env, base_url))
        return status, out.getvalue() + err.getvalue()

    if mode is None:
        done, standin = _main(None), None
    else:
        with running_standin(mode, token=standin_token) as standin:
            done = _main(standin.base_url)
    limit = int((env or {}).get("HIDREAM_LIVE_MAX_BILLABLE", budget or DEFAULT_BUDGET))
    return _finish(done, reports, standin, limit)


def contract_live(
    tmp_path: Path,
    mode: str | None = "faithful",
    *,
    budget: int | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """scripts/contract-live as a subprocess (slow: for what the process boundary is about)."""
    reports = tmp_path / "reports"
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("HIDREAM_") and k not in ("PYTEST_ADDOPTS",)
    }

    def _run(base_url: str | None) -> tuple[int, str]:
        full = {**base, **_settings(reports, budget, None, env, base_url)}
        done = subprocess.run(
            [str(SCRIPTS / "contract-live")],
            cwd=ROOT,
            env=full,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    if mode is None:
        done, standin = _run(None), None
    else:
        with running_standin(mode, token=CANARY) as standin:
            done = _run(standin.base_url)
    return _finish(done, reports, standin, budget or DEFAULT_BUDGET)


def in_process(mode: str, budget: int | None = None, **env: str) -> tuple[LiveResult, StandIn]:
    """One run without the script (fast, and the outcome object to look at); same guarantees."""
    with running_standin(mode, token=CANARY) as standin:
        settings = {**FAST, "HIDREAM_API_TOKEN": CANARY, "HIDREAM_API_BASE_URL": standin.base_url, **env}
        if budget is not None:
            settings["HIDREAM_LIVE_MAX_BILLABLE"] = str(budget)
        config = load(settings)
        outcome = LiveRun(config).run()
    assert standin.billed_tasks <= config.max_billable, (mode, standin.billed_tasks, config.max_billable)
    assert outcome.tasks_created <= config.max_billable
    assert standin.billed_tasks <= outcome.tasks_created  # what the guard counted covers what was billed
    # Tasks without the token (a drifted service) never outnumber the requests sent without it.
    assert standin.accepted_tasks - standin.billed_tasks <= outcome.traffic.unbilled
    assert outcome.traffic.sent == standin.requests
    return outcome, standin


def drift_rows(report: str) -> set[tuple[str, str]]:
    """(check, field) of every row of the report's drift table."""
    return set(re.findall(r"^\| \d+ \| `([^`]+)` \| `([^`]+)` \|", report, flags=re.MULTILINE))


HARMLESS = [name for name, mode in MODES.items() if mode.kind in ("faithful", "harmless")]
OUTAGES = [name for name, mode in MODES.items() if mode.kind == "outage"]
GATEWAY_BLIPS = ["gateway-502-once", "gateway-502-on-task", "reset-on-task"]

# Each drift mode, and the (check, field) the report must name for it.
DRIFT = {
    "rename-task-id": ("envelope_conformance", "result.task_id"),
    "retype-sub-task-ids": ("envelope_conformance", "result.sub_task_ids"),
    "retype-code": ("envelope_conformance", "code"),
    "missing-request-id": ("envelope_conformance", "request_id"),
    "missing-result": ("envelope_conformance", "result"),
    "error-code-string": ("envelope_conformance", "code"),
    "refuse-ratio-4": ("accepted_when_valid", "upsale_ratio"),
    "refuse-base64": ("accepted_when_valid", "image"),
    "accept-any-ratio": ("rejected_when_invalid", "upsale_ratio"),
    "accept-any-version": ("rejected_when_invalid", "version"),
    "optional-ratio": ("rejected_when_invalid", "upsale_ratio"),
    "accept-anything": ("rejected_when_invalid", "image"),
    "accept-imageless": ("rejected_when_invalid", "image"),
    "refuse-notify-url": ("accepted_when_valid", "notify_url"),
    "refuse-api-user-id": ("accepted_when_valid", "API-User-ID"),
    "notify-url-500": ("not_a_server_error", "HTTP status"),  # needs the spare to retry (see below)
    "moved-308": ("endpoint_not_moved", "Location"),
    # What real clients send, and what the spec's link and auth scheme rely on (issue 18).
    "unauthenticated-500": ("not_a_server_error", "Authorization"),
    "user-id-bypasses-auth": ("auth_enforced", "Authorization"),
    "require-version": ("accepted_when_valid", "version"),
    "require-api-user-id": ("accepted_when_valid", "API-User-ID"),
    "refuse-empty-user-id": ("accepted_when_valid", "API-User-ID"),
    "empty-task-id": ("result_readable", "task_id"),
    "auth-scheme-changed": ("auth_scheme_kept", "Authorization"),
    "bare-token": ("auth_scheme_kept", "Authorization"),  # no challenge: the other forms tell (issue 33)
    "api-key-scheme": ("auth_scheme_kept", "Authorization"),
    "ignore-auth": ("auth_enforced", "Authorization"),
    "ignore-bad-token": ("auth_enforced", "Authorization"),
    "wrong-content-type": ("content_type_conformance", "Content-Type"),
    "new-required-field": ("accepted_when_valid", "request body"),
    "status-201": ("status_code_conformance", "HTTP status"),
    "rejection-500": ("not_a_server_error", "HTTP status"),
    # The result read (live/results.py), read back for the tasks the paid probes created.
    "result-rename-status": ("result_conformance", "result.sub_task_results.0.task_status"),
    "result-retype-status": ("result_conformance", "result.sub_task_results.0.task_status"),
    "result-missing-sub-tasks": ("result_conformance", "result.sub_task_results"),
    "result-image-object": ("result_conformance", "result.sub_task_results.0.image"),
    "result-accept-unknown-task": ("unknown_task_rejected", "task_id"),
}


def test_every_drift_mode_of_the_standin_has_an_expectation() -> None:
    assert set(DRIFT) == {name for name, mode in MODES.items() if mode.kind == "drift"}


# --- the rule: at the default budget, a faithful service costs the paid probes and nothing else ---------


def test_faithful_run_at_the_default_budget_creates_only_the_paid_tasks_and_covers_the_surface(
    tmp_path: Path,
) -> None:
    run = check_run(tmp_path, "faithful")
    assert run.status == 0, run.output
    assert run.standin is not None
    assert run.standin.accepted_tasks == PAID == DEFAULT_BUDGET - 1  # one spare, unused
    total = sum(1 for item in documented_surface() if item.counted)
    assert (
        f"{total} of {total} documented fields, headers, allowed values and operations exercised"
        in run.report
    )
    assert "(not covered)" not in run.report
    assert (
        f"tasks: {PAID} created; the budget allowed {DEFAULT_BUDGET}" in run.output
    )  # the summary says both
    assert f"documented surface exercised {total}/{total}" in run.output
    assert "## Left out" not in run.report
    assert "2 without the account's token, outside the budget" in run.report  # the two auth probes


def test_the_coverage_table_names_each_item_with_its_probe_and_what_the_service_did(tmp_path: Path) -> None:
    run = check_run(tmp_path, "faithful")
    for item in documented_surface():
        assert re.search(rf"^\| {re.escape(item.label)} \| {item.kind} \|", run.report, re.MULTILINE), item
    row = next(line for line in run.report.splitlines() if line.startswith("| `notify_url`"))
    assert "every optional field and header" in row
    assert "accepted (HTTP 200)" in row
    row = next(line for line in run.report.splitlines() if line.startswith("| `upsale_ratio` = 4"))
    assert "accepted (HTTP 200)" in row
    row = next(line for line in run.report.splitlines() if line.startswith("| HTTP 403"))
    assert "not exercised" in row  # statuses are listed, never counted: the stand-in never sends 403


@pytest.mark.parametrize("mode", HARMLESS)
def test_faithful_and_harmless_variations_pass(tmp_path: Path, mode: str) -> None:
    # A blip that creates a task spends a task at budget 3, and leaves part of the surface untried:
    # that is "incomplete" (2), tested below; the default budget's spare is there for it.
    blip_on_task = mode in ("gateway-502-on-task", "reset-on-task")
    run = check_run(tmp_path, mode, budget=None if blip_on_task else SWEEP_BUDGET)
    assert run.status == 0, run.output
    assert "the service matches the spec (exit 0)" in run.output
    assert drift_rows(run.report) == set()
    assert "None found." in run.report
    assert 'failures="0"' in run.junit


@pytest.mark.parametrize("mode", sorted(DRIFT))
def test_every_drift_mode_exits_1_naming_the_check_and_field(tmp_path: Path, mode: str) -> None:
    """At budget 3 (the paid probes, no spare): every drift is caught, named, never over budget, no leak
    (check_run asserts the last two). A larger budget only runs more of the same plan."""
    # A 5xx that may be a task (HTML) is drift only once a retry was sent: that takes the default's spare.
    run = check_run(tmp_path, mode, budget=None if mode == "notify-url-500" else SWEEP_BUDGET)
    assert run.status == 1, run.output
    assert DRIFT[mode] in drift_rows(run.report), run.report
    check, field = DRIFT[mode]
    assert f"drift: {check} on {field}" in run.output  # the terminal summary names it too
    assert f"POST {SUBMIT_PATH}" in run.report
    on_the_read = mode.startswith("result-") or check == "result_readable"
    assert f"curl -X {'GET' if on_the_read else 'POST'}" in run.report
    assert "$HIDREAM_API_TOKEN" in run.report
    assert re.search(r'failures="[1-9]', run.junit)


@pytest.mark.parametrize("budget", [1, pytest.param(2, marks=pytest.mark.slow)])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_no_mode_creates_more_tasks_than_the_budget(mode: str, budget: int) -> None:
    outcome, standin = in_process(mode, budget)  # in_process asserts the bound; here, that it was reached
    if mode in ("accept-anything", "ignore-auth", "accept-imageless"):
        assert standin.billed_tasks == budget  # a service that accepts everything: spent, never exceeded
        assert outcome.left_out


def test_a_drifted_service_that_accepts_requests_without_an_image_cannot_exceed_the_budget() -> None:
    outcome, standin = in_process("accept-anything")
    assert standin.accepted_tasks == outcome.budget.accepted == DEFAULT_BUDGET
    assert outcome.exit_status == 1
    # What the budget left out is listed: the paid probes, and the page's curl sample after them.
    assert outcome.left_out[-PAID - 1 :] == [*(p.name for p in paid_probes()), curl_sample_probe().name]
    assert "allows no more" in outcome.left_out_reason


def test_the_report_says_what_the_drift_is_and_what_the_service_did(tmp_path: Path) -> None:
    run = check_run(tmp_path, "new-required-field")
    section = run.report.split("### 1.")[1]
    assert (
        "the spec says: a request with the token and a body valid per UpscaleRequest is accepted" in section
    )
    assert "the service did: answered HTTP 200, code 1001" in section
    assert "model: required" in section
    assert "upsale_ratio=2" in section  # the request that was refused


def test_an_optional_field_that_breaks_the_service_is_named_with_its_value(tmp_path: Path) -> None:
    run = check_run(tmp_path, "refuse-api-user-id")
    section = run.report.split("### 1.")[1]
    assert 'API-User-ID: ""' in section  # the header that was sent, quoted: the page's Python sample's
    assert "seen on: provider's Python sample, as written, every optional field and header" in section


# --- gateways: blips are no verdict, redirects are drift -------------------------------------------


@pytest.mark.parametrize("budget", [1, 2, None])
@pytest.mark.parametrize("mode", GATEWAY_BLIPS)
def test_one_gateway_blip_then_normal_answers_is_never_a_drift_verdict(mode: str, budget: int | None) -> None:
    outcome, _ = in_process(mode, budget)
    assert outcome.exit_status != 1, outcome.drifts
    if budget is None:  # the default budget has a spare for exactly this retry: nothing is lost
        assert outcome.exit_status == 0, outcome.could_not_run
        covered, total = share(coverage(outcome.sent, outcome.operations_answered))
        assert covered == total
    assert not any("also after" in f.service_did for f in outcome.findings)


def test_a_blip_that_spends_the_budget_before_the_sample_is_could_not_run_and_lists_what_was_left(
    tmp_path: Path,
) -> None:
    run = check_run(tmp_path, "gateway-502-on-task", budget=1)
    assert run.status == 2, run.output
    assert "the provider's sample got no conclusive answer before the budget ran out" in run.output
    assert "## Left out: the budget ran out" in run.report
    assert "- every optional field and header" in run.report
    assert "a retry would exceed the budget" in run.report  # the 502 was not retried, and it says why
    assert "also after" not in run.report


def test_when_the_budget_runs_out_after_the_sample_the_verdict_says_what_was_not_exercised(
    tmp_path: Path,
) -> None:
    """Never "matches the spec" with part of the surface untried (issue 27): the run is incomplete (2)
    and names each documented item it did not exercise, on the terminal and in the report."""
    run = check_run(tmp_path, "faithful", budget=1)
    assert run.status == 2, run.output
    assert "the service matches the spec" not in run.output + run.report
    assert "incomplete: no drift in what was exercised" in run.output
    assert "not exercised: `upsale_ratio` = 4, `notify_url`, `request_id`" in run.output
    assert run.standin is not None
    assert run.standin.accepted_tasks == 1
    assert "## Left out: the budget ran out" in run.report
    assert "- every optional field and header" in run.report
    assert "**(not covered)**" in run.report  # notify_url, ratio 4... are not exercised at budget 1
    section = run.report.split("## Not exercised")[1].split("## ")[0]
    assert "- `notify_url`" in section
    assert "the budget ran out" in section
    assert "not run (budget)" in run.output


def test_a_service_failing_on_an_optional_field_at_budget_3_is_never_an_all_clear(tmp_path: Path) -> None:
    """The false all-clear of issue 27: HTTP 500 whenever `notify_url` is present, at budget 3. The
    probe that carries it gets a 500 whose retry the budget refuses: not "matches the spec"."""
    # Without schemathesis' cases (they may carry notify_url too, and then find it at this budget).
    env = {"HIDREAM_LIVE_FUZZ_EXAMPLES": "0"}
    run = check_run(tmp_path, "notify-url-500", budget=SWEEP_BUDGET, env=env)
    assert run.status == 2, run.output
    assert "the service matches the spec" not in run.output
    assert "`notify_url`" in run.output.split("not exercised:")[1].splitlines()[0]
    assert "no conclusive answer to: every optional field and header" in run.report
    assert "a retry would exceed the budget" in run.report


def test_a_redirect_is_drift_named_with_its_location_never_followed_never_charged_twice() -> None:
    outcome, standin = in_process("moved-308")
    assert outcome.exit_status == 1
    drift = next(f for f in outcome.drifts if f.check == "endpoint_not_moved")
    assert "Location: http://127.0.0.1:" in drift.service_did
    assert "/api-pub/gw/v4" in drift.service_did
    assert standin.accepted_tasks == 0  # the working endpoint behind the redirect was never called
    assert outcome.traffic.statuses == {308: standin.requests}
    # One count per answer with the token, no hop counted again (the ones without it bill nobody).
    assert outcome.budget.possible == standin.requests - outcome.traffic.unbilled
    assert outcome.traffic.unbilled == 2  # the two auth probes


# --- could not run ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["unavailable", "throttled"])
def test_a_service_that_is_down_or_throttling_is_could_not_run(tmp_path: Path, mode: str) -> None:
    run = check_run(tmp_path, mode)
    assert run.status == 2, run.output
    assert run.standin is not None
    assert run.standin.accepted_tasks == 0
    assert "could not run" in run.output
    assert ("looks down" if mode == "unavailable" else "429") in run.output


def test_missing_token_is_a_usage_error_and_sends_nothing(tmp_path: Path) -> None:
    run = check_run(tmp_path, "faithful", env={"HIDREAM_API_TOKEN": "<unset>"})
    assert run.status == 2
    assert "HIDREAM_API_TOKEN is not set" in run.output
    assert run.standin is not None
    assert run.standin.requests == 0


@pytest.mark.parametrize(
    ("token", "said"),
    [
        (f"{CANARY}\nX-Injected: 1", "line break"),
        (f"{CANARY}\x7f", "control character"),  # a NUL cannot be in an environment: see the next test
        (f"{CANARY} more", "whitespace"),
        (f"\u201c{CANARY}\u201d", "non-ASCII character"),
    ],
)
def test_a_token_that_cannot_travel_in_a_header_is_refused_before_anything_is_sent(
    tmp_path: Path, token: str, said: str
) -> None:
    run = check_run(tmp_path, "faithful", env={"HIDREAM_API_TOKEN": token})
    assert run.status == 2, run.output
    assert "HIDREAM_API_TOKEN" in run.output
    assert said in run.output
    assert run.standin is not None
    assert run.standin.requests == 0


@pytest.mark.parametrize("token", [f"{CANARY}\x00", f"{CANARY}\r\nX: 1", f"a\u2019{CANARY}", f"{CANARY}\tx"])
def test_settings_name_a_token_problem_without_the_token(token: str) -> None:
    with pytest.raises(UsageError, match="HIDREAM_API_TOKEN") as caught:
        load({"HIDREAM_API_TOKEN": token})
    assert CANARY not in str(caught.value)
    assert not [arg for arg in caught.value.args if CANARY in str(arg)]


@pytest.mark.parametrize(
    ("base_url", "said", "hidden"),
    [
        ("http://user:s3cret-pass@127.0.0.1:9/api", "credentials", "s3cret-pass"),
        ("http://127.0.0.1:9/api\r\nHost: evil", "line break", "evil"),
        ("http://127.0.0.1:9/a b", "whitespace", ""),
        ("ftp://127.0.0.1/api", "http(s) URL", ""),
    ],
)
def test_a_base_url_the_wire_cannot_carry_is_a_usage_error(base_url: str, said: str, hidden: str) -> None:
    with pytest.raises(UsageError, match=re.escape(said)) as caught:
        load({"HIDREAM_API_TOKEN": CANARY, "HIDREAM_API_BASE_URL": base_url})
    assert "HIDREAM_API_BASE_URL" in str(caught.value)
    if hidden:
        assert hidden not in str(caught.value)


def test_unreachable_host_is_could_not_run(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = check_run(tmp_path, None, env={"HIDREAM_API_BASE_URL": f"http://127.0.0.1:{port}/api-pub/gw/v3"})
    assert run.status == 2, run.output
    assert f"cannot connect to http://127.0.0.1:{port}" in run.output
    assert "tasks: 0 created;" in run.output  # nothing was delivered, so nothing is counted


@pytest.mark.parametrize(
    ("mode", "said"), [("faithful", "the token was refused"), ("auth-envelope", "seems refused")]
)
def test_a_rejected_token_is_could_not_run(tmp_path: Path, mode: str, said: str) -> None:
    run = check_run(tmp_path, mode, standin_token="another-accounts-token")
    assert run.status == 2, run.output
    assert said in run.output
    assert run.standin is not None
    assert run.standin.accepted_tasks == 0


# --- probe sets -------------------------------------------------------------------------------------


def test_all_asks_for_the_silent_probes_and_refuses_a_budget_too_small_before_sending(tmp_path: Path) -> None:
    needed = budget_for_all()
    assert needed == PAID + len(silent_probes()) + 1  # and the page's curl sample
    run = check_run(tmp_path, "faithful", budget=needed - 1, probes="all")
    assert run.status == 2
    assert f"needs HIDREAM_LIVE_MAX_BILLABLE >= {needed}" in run.output
    assert run.standin is not None
    assert run.standin.requests == 0


@pytest.mark.slow  # three full runs
def test_silent_documentation_is_recorded_not_failed(tmp_path: Path) -> None:
    needed = budget_for_all()
    faithful = check_run(tmp_path / "a", "faithful", budget=needed, probes="all")
    strict = check_run(tmp_path / "b", "strict-fields", budget=needed, probes="all")
    assert faithful.status == strict.status == 0, faithful.output + strict.output
    row = re.compile(r"^\| unknown body field \| `x_undocumented_field` \| (\w+) it", re.MULTILINE)
    assert row.findall(faithful.report) == ["accepted"]
    assert row.findall(strict.report) == ["rejected"]
    assert "| GET (undeclared) | `HTTP method` | answered HTTP 405" in faithful.report
    default = check_run(tmp_path / "c", "faithful")
    assert "## Not asked (HIDREAM_LIVE_PROBES=auto)" in default.report
    assert "- unknown body field" in default.report


@pytest.mark.slow  # the full fuzz count
def test_the_default_fuzz_count_sends_negative_cases(tmp_path: Path) -> None:
    run = check_run(tmp_path, "faithful", env={"HIDREAM_LIVE_FUZZ_EXAMPLES": "<unset>"})
    assert run.status == 0, run.output
    sent = re.search(r"negative cases from schemathesis: (\d+) sent of 30 drawn", run.report)
    assert sent is not None
    assert int(sent.group(1)) >= 10
    assert run.standin is not None
    assert run.standin.accepted_tasks == PAID  # negative cases cost nothing on a faithful service


def test_free_creates_no_task_on_a_faithful_service_and_still_catches_acceptance() -> None:
    outcome, standin = in_process("faithful", 1, HIDREAM_LIVE_PROBES="free")
    # Nothing valid was sent, so it cannot say "matches the spec": incomplete, naming what it left.
    assert (outcome.exit_status, standin.accepted_tasks) == (2, 0)
    assert outcome.could_not_run == []
    assert "`notify_url`" in outcome.not_exercised
    outcome, standin = in_process("accept-any-ratio", 1, HIDREAM_LIVE_PROBES="free")
    assert outcome.exit_status == 1  # the negative carries a real image: the drift shows, for one task
    assert standin.accepted_tasks == 1


def test_a_service_echoing_the_token_is_redacted(tmp_path: Path) -> None:
    run = check_run(tmp_path, "echo-auth")
    assert run.status == 0
    assert "(Authorization: Bearer [REDACTED])" in run.report  # it was there, and scrubbed


# --- the probes and the plan, from the spec ---------------------------------------------------------


def test_every_negative_probe_uses_a_real_image_unless_its_rule_is_about_the_image_or_the_body() -> None:
    for probe in negative_probes():
        about_image = probe.name in ("empty body", "body not an object", "empty image", "image not a string")
        about_image |= probe.name == "missing image"
        assert probe.names_real_image or about_image, probe.name
        assert probe.kind is Kind.NEGATIVE
        token = "t" if probe.auth == "token" else ("u" if probe.auth == "invalid" else None)
        headers = {**probe.headers, **({"Authorization": f"Bearer {token}"} if token else {})}
        expected = expectation_for(json.dumps(probe.body), headers, authorization_digest("Bearer t"))
        assert expected.intent is Intent.REJECT, probe.name  # the documentation says: rejected


def test_the_paid_probes_are_what_real_clients_send_the_page_sample_required_only_and_everything_set() -> (
    None
):
    python, required, full = paid_probes()
    assert python.body == python_sample().data  # the page's Python sample as written...
    assert (
        python.headers == python_sample().headers == {"Content-Type": "application/json", "API-User-ID": ""}
    )
    assert python.body == sample()  # ...whose body is the spec's imageUrl example
    assert required.body == required_only() == {k: sample()[k] for k in request_schema()["required"]}
    assert required.headers == {}
    assert set(optional_fields()) <= set(full.body)
    assert full.body["upsale_ratio"] == 4
    assert not full.body["image"].startswith("http")
    declared = {p["name"] for p in header_parameters() if not p.get("required")}
    assert set(full.headers) == set(optional_headers()) == declared
    assert full.body["notify_url"].startswith("https://example.com/")  # reserved for documentation
    for probe in (python, required, full):
        expected = expectation_for(json.dumps(probe.body), {**probe.headers, "Authorization": "Bearer t"},
                                   authorization_digest("Bearer t"))  # fmt: skip
        assert expected.intent is Intent.ACCEPT, probe.name
    assert set(request_schema()["properties"]) <= set(full.body)


def test_the_page_samples_are_read_from_the_page_as_written() -> None:
    page = (SPEC_PATH.parent / "reference" / "image_upscaler_submit.zh.txt").read_text("utf-8")
    curl = curl_sample()
    assert f"-d '{curl.body}'" in page  # byte for byte
    with pytest.raises(json.JSONDecodeError):
        json.loads(curl.body)  # the trailing comma: not strict JSON
    probe = curl_sample_probe()
    assert (probe.raw, probe.kind, probe.headers) == (
        curl.body,
        Kind.SILENT,
        {"Content-Type": "application/json"},
    )
    assert probe.body == sample()  # what it means to a reader that tolerates the comma
    expected = expectation_for(curl.body, {"Authorization": "Bearer t"}, authorization_digest("Bearer t"))
    assert (expected.intent, expected.fields) == (Intent.SILENT, ("body",))  # recorded, never failed
    assert "'API-User-ID': ''" in page  # the Python sample's empty user id, sent as written


def test_the_free_auth_probes_carry_every_optional_header() -> None:
    auth = [p for p in negative_probes() if p.auth != "token"]
    assert [p.name for p in auth] == ["no token", "invalid token"]
    for probe in auth:
        assert set(optional_headers()) <= set(probe.headers), probe.name


def test_the_plan_runs_negatives_before_anything_a_faithful_service_bills() -> None:
    chosen = plan("auto", DEFAULT_BUDGET)
    assert chosen.negative == negative_probes()
    assert [p.name for p in chosen.paid] == [p.name for p in paid_probes()]
    assert chosen.paid[0].name == "provider's Python sample, as written"  # the most valuable first
    assert [p.name for p in chosen.silent] == ["provider's curl sample, as written"]  # on the spare
    assert [p.name for p in chosen.not_asked] == [p.name for p in silent_probes()]
    assert plan("free", 1).paid == []


# --- the transport guard --------------------------------------------------------------------------


def _adapter(budget: int, **overrides: float) -> GuardedAdapter:
    options: dict[str, float] = {
        "min_interval_s": 0.0,
        "timeout_s": 5.0,
        "retries": 2,
        "max_retry_wait_s": 0.0,
    }
    options.update(overrides)
    return GuardedAdapter(
        budget=Budget(budget),
        traffic=Traffic(),
        min_interval_s=options["min_interval_s"],
        timeout_s=options["timeout_s"],
        deadline=float(options.get("deadline", 1e18)),
        retries=int(options["retries"]),
        max_retry_wait_s=options["max_retry_wait_s"],
        max_answer_bytes=int(options.get("max_answer_bytes", 1024 * 1024)),
    )


SAMPLE = {"image": "https://storage.hidreamai.com/image/p.png", "upsale_ratio": 2}


@pytest.fixture
def accepting() -> Iterator[StandIn]:
    with running_standin("accept-anything", token=CANARY) as standin:
        yield standin


def _post(session: requests.Session, standin: StandIn, body: object) -> requests.Response:
    return session.post(
        standin.base_url + SUBMIT_PATH, json=body, headers={"Authorization": f"Bearer {CANARY}"}, timeout=5
    )


def test_guard_refuses_any_request_once_possible_tasks_reach_the_budget(accepting: StandIn) -> None:
    adapter = _adapter(1)
    with make_session(adapter) as session:
        assert _post(session, accepting, {}).json()["code"] == 0  # no image, and still a task here
        with pytest.raises(BudgetExhausted, match="HIDREAM_LIVE_MAX_BILLABLE=1"):
            _post(session, accepting, {"upsale_ratio": 3})  # no image either: refused all the same
    assert (accepting.requests, accepting.accepted_tasks) == (1, 1)
    assert (adapter.budget.possible, adapter.budget.refused, adapter.traffic.sent) == (1, 1, 1)


def test_guard_lets_rejected_requests_through_for_free() -> None:
    adapter = _adapter(1)
    with running_standin("faithful", token=CANARY) as standin, make_session(adapter) as session:
        for body in ({}, {"upsale_ratio": 3}, {**SAMPLE, "upsale_ratio": 3}, {**SAMPLE, "version": "v9"}):
            assert _post(session, standin, body).json()["code"] != 0
        assert _post(session, standin, SAMPLE).json()["code"] == 0
        with pytest.raises(BudgetExhausted):
            _post(session, standin, {})
        assert standin.requests == 5
    assert (adapter.budget.accepted, adapter.budget.unknown) == (1, 0)


@pytest.mark.parametrize("mode", ["reset-on-task", "gateway-502-on-task"])
def test_guard_counts_a_lost_answer_as_a_possible_task_and_retries_it_within_the_budget(mode: str) -> None:
    adapter = _adapter(2)
    with running_standin(mode, token=CANARY) as standin, make_session(adapter) as session:
        response = _post(session, standin, SAMPLE)
        assert response.json()["code"] == 0  # the retry's answer
        assert standin.accepted_tasks == 2  # the lost one is real, and was counted
    assert (adapter.budget.accepted, adapter.budget.unknown, adapter.traffic.retries) == (1, 1, 1)
    exchange = adapter.traffic.exchange(response.request)
    assert exchange is not None
    assert exchange.retries == 1
    assert not exchange.retry_refused


def test_guard_never_retries_past_the_budget() -> None:
    adapter = _adapter(1)
    with running_standin("reset-on-task", token=CANARY) as standin, make_session(adapter) as session:
        with pytest.raises(NoAnswer, match="a retry would exceed the budget"):
            _post(session, standin, SAMPLE)
        assert standin.requests == 1
    adapter = _adapter(1)
    with running_standin("gateway-502-on-task", token=CANARY) as standin, make_session(adapter) as session:
        response = _post(session, standin, SAMPLE)
        assert response.status_code == 502  # handed back unretried, and the exchange says why
        exchange = adapter.traffic.exchange(response.request)
        assert exchange is not None
        assert exchange.retry_refused
        assert exchange.retries == 0
        assert standin.requests == 1


def test_guard_never_follows_a_redirect() -> None:
    adapter = _adapter(5)
    with running_standin("moved-308", token=CANARY) as standin, make_session(adapter) as session:
        response = _post(session, standin, SAMPLE)
        assert response.status_code == 308
        assert response.history == []
        assert (standin.requests, standin.accepted_tasks) == (1, 0)
    assert adapter.budget.possible == 1  # a 3xx does not say "no task": counted, once


def test_guard_reads_a_bounded_body() -> None:
    adapter = _adapter(5, max_answer_bytes=16)
    with running_standin("faithful", token=CANARY) as standin, make_session(adapter) as session:
        response = _post(session, standin, SAMPLE)
    assert len(response.content) == 16
    exchange = adapter.traffic.exchange(response.request)
    assert exchange is not None
    assert "cut at 16 bytes" in exchange.attempts[0].note
    assert adapter.budget.unknown == 1  # a cut body is no readable verdict: a possible task


@pytest.mark.parametrize(
    ("status", "body", "evidence"),
    [
        (200, b'{"code": 0, "result": {}}', TaskEvidence.ACCEPTED),
        (201, b'{"code": 0}', TaskEvidence.ACCEPTED),
        (200, b'{"code": 1001, "message": "no"}', TaskEvidence.NONE),
        (500, b'{"code": 1001}', TaskEvidence.NONE),
        (401, b"<html>", TaskEvidence.NONE),
        (429, b"", TaskEvidence.NONE),
        (200, b'{"code": "0"}', TaskEvidence.POSSIBLE),
        (200, b'{"code": true}', TaskEvidence.POSSIBLE),
        (200, b"not json", TaskEvidence.POSSIBLE),
        (502, b"<html>502 Bad Gateway</html>", TaskEvidence.POSSIBLE),
        (308, b"", TaskEvidence.POSSIBLE),
        (500, b'{"code": 0}', TaskEvidence.POSSIBLE),
        (200, None, TaskEvidence.POSSIBLE),
    ],
)
def test_only_a_4xx_or_a_nonzero_code_says_no_task(
    status: int, body: bytes | None, evidence: TaskEvidence
) -> None:
    assert task_evidence(status, body) is evidence


def test_guard_retries_429_a_bounded_number_of_times_for_free() -> None:
    waits: list[float] = []
    adapter = GuardedAdapter(
        budget=Budget(1),
        traffic=Traffic(),
        min_interval_s=0.0,
        timeout_s=5.0,
        deadline=1e18,
        retries=2,
        max_retry_wait_s=0.0,
        sleep=waits.append,
    )
    with running_standin("throttled") as standin, make_session(adapter) as session:
        response = session.post(standin.base_url + SUBMIT_PATH, json={}, timeout=5)
        assert response.status_code == 429
        assert standin.requests == 3  # one try and two retries: a 429 is no task, so the budget allows them
    assert adapter.traffic.retries == 2
    assert adapter.budget.possible == 0
    assert waits == [0.0, 0.0]  # Retry-After: 0, capped by max_retry_wait_s


def test_guard_spaces_requests_and_stops_at_the_deadline() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    adapter = GuardedAdapter(
        budget=Budget(1),
        traffic=Traffic(),
        min_interval_s=0.5,
        timeout_s=5.0,
        deadline=101.2,
        retries=0,
        max_retry_wait_s=0.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    with running_standin("faithful") as standin, make_session(adapter) as session:
        url = standin.base_url + SUBMIT_PATH
        session.post(url, json={}, timeout=5)
        session.post(url, json={}, timeout=5)
        now[0] += 1.0
        with pytest.raises(DeadlineExceeded, match="HIDREAM_LIVE_MAX_RUN_S"):
            session.post(url, json={}, timeout=5)
        assert standin.requests == 2
    assert slept == [0.5]


# --- the request model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "real"),
    [
        ("https://storage.hidreamai.com/image/p.png", True),
        ("http://anything", True),
        ("data:image/png;base64,AAAA", True),
        (
            "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC",
            True,
        ),
        ("/9j/4AAQSkZJRgABAQ==", True),  # a JPEG header
        ("aGVsbG8=", False),  # base64 of "hello"
        ("random text", False),
        ("", False),
    ],
)
def test_a_request_names_a_real_image(image: str, real: bool) -> None:
    assert names_real_image(json.dumps({"image": image, "upsale_ratio": 3})) is real
    assert names_real_image(json.dumps([image])) is False
    assert names_real_image(b"\xff\x00") is False


AUTH = {"Authorization": "Bearer t"}
DIGEST = authorization_digest("Bearer t")


@pytest.mark.parametrize(
    ("body", "headers", "intent", "fields"),
    [
        ({"image": "x", "upsale_ratio": 2}, AUTH, Intent.ACCEPT, ()),
        ({"image": "x", "upsale_ratio": 2}, {}, Intent.REJECT, ("Authorization",)),
        ({"image": "x", "upsale_ratio": 2}, {"Authorization": "Bearer u"}, Intent.REJECT, ("Authorization",)),
        ({"upsale_ratio": 2}, AUTH, Intent.REJECT, ("image",)),
        ({"image": "x"}, AUTH, Intent.REJECT, ("upsale_ratio",)),
        ({"image": "x", "upsale_ratio": 3}, AUTH, Intent.REJECT, ("upsale_ratio",)),
        ({"image": "x", "upsale_ratio": 2, "version": "v2"}, AUTH, Intent.REJECT, ("version",)),
        ({"image": "x", "upsale_ratio": 2, "extra": 1}, AUTH, Intent.SILENT, ("extra",)),
        (
            {"image": "x", "upsale_ratio": 2},
            {**AUTH, "X-accept-language": "fr"},
            Intent.SILENT,
            ("x-accept-language",),
        ),
        ({"image": "x", "upsale_ratio": 2, "notify_url": 5}, AUTH, Intent.UNDETERMINED, ("notify_url",)),
    ],
)
def test_expectation_asserts_only_what_the_documentation_states_as_hard(
    body: object, headers: dict[str, str], intent: Intent, fields: tuple[str, ...]
) -> None:
    expected = expectation_for(json.dumps(body), headers, DIGEST)
    assert (expected.intent, expected.fields) == (intent, fields)


# --- settings ---------------------------------------------------------------------------------------


def test_settings_name_what_is_wrong() -> None:
    with pytest.raises(UsageError, match="HIDREAM_API_TOKEN is not set"):
        load({})
    with pytest.raises(UsageError, match="HIDREAM_LIVE_MAX_BILLABLE must be a int >= 1, got 'many'"):
        load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_MAX_BILLABLE": "many"})
    with pytest.raises(UsageError, match="HIDREAM_LIVE_MAX_BILLABLE must be >= 1, got '0'"):
        load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_MAX_BILLABLE": "0"})
    with pytest.raises(UsageError, match="HIDREAM_LIVE_PROBES must be one of auto, all, free"):
        load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_PROBES": "some"})
    config = load({"HIDREAM_API_TOKEN": CANARY})
    assert config.base_url == production_base_url()
    assert (config.max_billable, config.probes) == (DEFAULT_BUDGET, "auto")
    assert DEFAULT_BUDGET == PAID + 1
    assert CANARY not in repr(config)
    assert CANARY not in str(config.token)
    assert config.token.reveal() == CANARY
    assert CANARY not in repr(Secret(CANARY))


def test_settings_take_an_empty_variable_as_unset() -> None:
    """A CI variable that is not defined in the repository arrives as an empty string."""
    config = load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_MAX_BILLABLE": "", "HIDREAM_LIVE_PROBES": " "})
    assert (config.max_billable, config.probes) == (DEFAULT_BUDGET, "auto")
    assert load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_MAX_BILLABLE": "9"}).max_billable == 9


def test_requests_library_is_what_the_guard_wraps() -> None:
    # The guard is a requests transport adapter: schemathesis' requests transport uses our session.
    assert issubclass(GuardedAdapter, requests.adapters.HTTPAdapter)


# --- the same entry point in-process (so coverage sees the runner; the script runs it in a subprocess) ---


@pytest.mark.parametrize(("mode", "status"), [("faithful", 0), ("rename-task-id", 1), ("unavailable", 2)])
def test_entry_point_in_process(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    status: int,
) -> None:
    from hidream_contract.live.__main__ import main

    with running_standin(mode, token=CANARY) as standin:
        for name, value in {
            **FAST,
            "HIDREAM_API_TOKEN": CANARY,
            "HIDREAM_API_BASE_URL": standin.base_url,
            "HIDREAM_LIVE_FUZZ_EXAMPLES": "5",
            "HIDREAM_LIVE_REPORTS_DIR": str(tmp_path),
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("HIDREAM_LIVE_MAX_BILLABLE", "HIDREAM_LIVE_PROBES"):
            monkeypatch.delenv(name, raising=False)
        assert main() == status
        assert standin.accepted_tasks <= DEFAULT_BUDGET
    out = capsys.readouterr()
    assert CANARY not in out.out + out.err
    assert f"(exit {status})" in out.out
    for path in tmp_path.iterdir():
        assert CANARY not in path.read_text("utf-8")


# --- the live checks and the mock suite share a process -------------------------------------------------

LIVE_CHECK_NAMES = {
    "envelope_conformance",
    "endpoint_not_moved",
    "accepted_when_valid",
    "rejected_when_invalid",
    "auth_enforced",
}


def _mock_suite_schema() -> Any:
    """The schema exactly as tests/contract/test_mock_contract.py loads it."""
    return schemathesis.openapi.from_path(
        SPEC_PATH, config=SchemathesisConfig.from_path(CONFIG / "schemathesis.toml")
    )


def _validate_like_the_mock_suite(base_url: str, examples: int = 10) -> int:
    """Generated cases sent and validated exactly as the mock suite does it (its config: bearer
    "mock-token", its checks); returns how many were validated. Raises on the first failure."""
    operation = _mock_suite_schema()[SUBMIT_PATH][submit().method]
    validated = []

    @hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def check(case: Any) -> None:
        with requests.Session() as http:
            response = case.call(base_url=base_url, session=http)
        case.validate_response(response, excluded_checks=MOCK_EXCLUDED_CHECKS, additional_checks=MOCK_CHECKS)
        validated.append(case)

    check()
    return len(validated)


def test_the_live_checks_are_not_registered_and_keep_no_module_state() -> None:
    from schemathesis.checks import CHECKS

    from hidream_contract.live import checks as live_checks

    outcome, _ = in_process("faithful")  # a whole live run in this process first
    assert outcome.exit_status == 0
    assert not LIVE_CHECK_NAMES & set(CHECKS.get_all_names())
    assert not [
        name for name, value in vars(live_checks).items() if isinstance(value, live_checks.LiveChecks)
    ]
    # A correct answer to another token passes schemathesis' default checks after a live run (a
    # registered auth_enforced would call it "Authentication ignored")...
    with running_standin("faithful", token="another-token") as standin, requests.Session() as http:
        case = _mock_suite_schema()[SUBMIT_PATH][submit().method].Case(
            body=sample(), headers={"Authorization": "Bearer another-token"}, media_type="application/json"
        )
        response = case.call(base_url=standin.base_url, session=http)
        assert response.json()["code"] == 0
        case.validate_response(response, excluded_checks=MOCK_EXCLUDED_CHECKS)
    # ...and the live checks, passed explicitly, still judge a drifted one.
    outcome, _ = in_process("accept-any-ratio")
    assert ("rejected_when_invalid", "upsale_ratio") in {(f.check, f.field) for f in outcome.drifts}


@pytest.mark.prism
def test_the_mock_suite_and_the_live_check_run_in_one_process(mock_base_url: str) -> None:
    """Importing the live checks used to register them globally: a correct Prism answer, validated as
    tests/contract/test_mock_contract.py does, then failed with "Authentication ignored"."""
    outcome, _ = in_process("faithful")
    assert outcome.exit_status == 0
    assert _validate_like_the_mock_suite(mock_base_url) > 0  # raises if a live check leaked in
    outcome, _ = in_process("faithful")
    assert outcome.exit_status == 0


def test_the_docs_state_the_rule_and_the_defaults_the_code_has() -> None:
    section = " ".join((ROOT / "docs" / "live-check.md").read_text("utf-8").split())
    assert "The rule: the budget counts tasks, not requests." in section
    assert f"The default budget is {DEFAULT_BUDGET}" in section
    assert f"needs `HIDREAM_LIVE_MAX_BILLABLE` ≥ {budget_for_all()}" in section
    for name, mode in MODES.items():  # every stand-in mode is listed under its kind
        assert f"`{name}`" in section, name
        assert mode.kind in ("faithful", "harmless", "drift", "outage")


# --- requests without the token, the page's samples, the auth scheme, the spec's link (issue 18) ---------


def test_requests_without_the_token_never_count_against_the_budget() -> None:
    adapter = GuardedAdapter(
        budget=Budget(1),
        traffic=Traffic(),
        min_interval_s=0.0,
        timeout_s=5.0,
        deadline=1e18,
        retries=2,
        max_retry_wait_s=0.0,
        account_authorization_digest=authorization_digest(f"Bearer {CANARY}"),
    )
    with running_standin("unauthenticated-500", token=CANARY) as standin, make_session(adapter) as session:
        url = standin.base_url + SUBMIT_PATH
        for headers in ({}, {"Authorization": "Bearer another"}, {"Authorization": "Bearer another"}):
            assert session.post(url, json=SAMPLE, headers=headers, timeout=5).status_code == 500
        assert standin.requests == 9  # each tried three times: retries are free for them too
        assert (adapter.budget.possible, adapter.budget.refused) == (0, 0)
        assert adapter.traffic.unbilled == 9
        assert _post(session, standin, SAMPLE).json()["code"] == 0  # the budget is all there
        with pytest.raises(BudgetExhausted):
            _post(session, standin, SAMPLE)
        assert session.post(url, json=SAMPLE, timeout=5).status_code == 500  # still sent: it bills nobody
    assert adapter.budget.possible == 1


def test_a_service_that_crashes_on_requests_without_the_token_is_drift_not_down() -> None:
    outcome, standin = in_process("unauthenticated-500", SWEEP_BUDGET)
    assert outcome.exit_status == 1, outcome.could_not_run
    drift = next(f for f in outcome.drifts if f.field == "Authorization")
    assert drift.check == "not_a_server_error"
    assert drift.probe == "no token"
    assert "without the account's token is refused" in drift.spec_says
    assert not any("looks down" in reason for reason in outcome.could_not_run)
    assert standin.billed_tasks == outcome.budget.accepted == PAID  # the 500s spent nothing
    assert outcome.traffic.unbilled >= 6  # both auth probes, three tries each


def test_looks_down_only_after_a_request_with_the_token_failed_too() -> None:
    outcome, _ = in_process("unavailable")
    assert outcome.exit_status == 2
    assert any("looks down" in reason for reason in outcome.could_not_run)
    with_token = outcome.traffic.sent - outcome.traffic.unbilled
    assert with_token >= 1  # the verdict waited for a request with the token


def test_a_changed_auth_scheme_is_drift_named_not_a_refused_token(tmp_path: Path) -> None:
    run = check_run(tmp_path, "auth-scheme-changed")
    assert run.status == 1, run.output
    assert ("auth_scheme_kept", "Authorization") in drift_rows(run.report)
    assert "WWW-Authenticate: Token" in run.report
    assert "the token was refused" not in run.output
    faithful = check_run(tmp_path / "refused", "faithful", standin_token="another-accounts-token")
    assert faithful.status == 2  # a Bearer challenge: the token itself is refused
    assert "the token was refused" in faithful.output
    assert drift_rows(faithful.report) == set()


# --- a refused token, or a changed auth scheme without a challenge (issue 33) ---------------------------

NO_CHALLENGE = {
    "bare-token": "`Authorization: <token>`",
    "api-key-scheme": "`Authorization: Api-Key <token>`",
}


@pytest.mark.parametrize("budget", [1, 2, SWEEP_BUDGET, None])
@pytest.mark.parametrize("mode", sorted(NO_CHALLENGE))
def test_a_service_that_takes_the_token_in_another_form_without_a_challenge_is_drift(
    mode: str, budget: int | None
) -> None:
    outcome, standin = in_process(mode, budget)
    assert outcome.exit_status == 1, outcome.could_not_run
    drift = next(f for f in outcome.drifts if f.probe.startswith("token as"))
    assert (drift.check, drift.field) == ("auth_scheme_kept", "Authorization")
    assert f"takes the token as {NO_CHALLENGE[mode]}" in drift.service_did
    assert "`Authorization: Bearer <token>`" in drift.spec_says  # what the spec's security scheme says
    assert "WWW-Authenticate: (none)" in drift.service_did
    assert not any("the token was refused" in reason for reason in outcome.could_not_run)
    # The other forms carried the token: counted like it (the two auth probes alone bill nobody),
    # sent with a body that cannot be a task, so nothing was created or spent.
    assert outcome.traffic.unbilled == 2
    assert (standin.accepted_tasks, outcome.budget.possible) == (0, 0)
    assert CANARY not in drift.reproduce
    assert "$HIDREAM_API_TOKEN" in drift.reproduce
    assert "--data-raw '{}'" in drift.reproduce


def test_the_report_names_the_form_the_service_takes_and_never_the_token(tmp_path: Path) -> None:
    run = check_run(tmp_path, "bare-token", budget=1)  # check_run asserts the canary is nowhere
    assert run.status == 1, run.output
    assert "drift: auth_scheme_kept on Authorization" in run.output
    assert "takes the token as `Authorization: <token>`" in run.report
    assert '-H "Authorization: $HIDREAM_API_TOKEN"' in run.report  # the reproduction reads it
    assert "the token was refused" not in run.output


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("faithful", "the token was refused"),  # 401 with a Bearer challenge
        ("bare-token", "the token was refused"),  # 401 without a challenge (this account's token is not it)
        ("api-key-scheme", "the token was refused"),
        ("auth-envelope", "seems refused"),  # HTTP 200 with code 401
    ],
)
def test_a_token_refused_in_every_form_stays_could_not_run(mode: str, said: str) -> None:
    with running_standin(mode, token="another-accounts-token") as standin:
        config = load({**FAST, "HIDREAM_API_TOKEN": CANARY, "HIDREAM_API_BASE_URL": standin.base_url})
        outcome = LiveRun(config).run()
    assert outcome.exit_status == 2
    assert outcome.drifts == []
    (reason,) = outcome.could_not_run
    assert said in reason
    assert f"The same token in {len(other_forms())} other forms" in reason
    assert CANARY not in reason
    asked = [name for name in outcome.probes_run if name.startswith("token as")]
    assert len(asked) == len(other_forms())  # every other form was asked, once
    assert "token as Authorization: <token>" in asked
    assert "token as Authorization: Token <token>" in asked
    assert standin.accepted_tasks == 0


def test_the_other_forms_are_the_common_ones_but_the_documented_one() -> None:
    documented = [form for _, form in documented_forms()]
    assert [form.label for form in documented] == ["`Authorization: Bearer <token>`"]  # read from the spec
    assert authorization_scheme() == "Bearer"  # what the wire sends
    assert not set(documented) & set(other_forms())
    assert {form.scheme for form in other_forms() if form.header == "Authorization"} >= {
        "",
        "Token",
        "Api-Key",
    }


def test_guard_sends_the_token_in_another_form_only_with_a_body_that_cannot_be_a_task() -> None:
    adapter = GuardedAdapter(
        budget=Budget(1),
        traffic=Traffic(),
        min_interval_s=0.0,
        timeout_s=5.0,
        deadline=1e18,
        retries=0,
        max_retry_wait_s=0.0,
        account_authorization_digest=authorization_digest(f"Bearer {CANARY}"),
        account_token_digest=authorization_digest(CANARY),
        cannot_be_task=cannot_be_task,
    )
    with running_standin("bare-token", token=CANARY) as standin, make_session(adapter) as session:
        url = standin.base_url + SUBMIT_PATH
        for headers in (
            {"Authorization": CANARY},
            {"Authorization": f"Token {CANARY}"},
            {"X-API-Key": CANARY},
        ):
            with pytest.raises(CouldNotRun, match="a body that could be a task"):
                session.post(url, json=SAMPLE, headers=headers, timeout=5)
        assert standin.requests == 0  # refused before anything left
        # The empty body goes (this service takes the bare token, and rejects the body)...
        assert session.post(url, json={}, headers={"Authorization": CANARY}, timeout=5).json()["code"] == 1001
        assert (adapter.traffic.sent, adapter.traffic.unbilled) == (1, 0)  # ...counted as carrying the token
        adapter.budget.accepted = 1  # and, like the documented form, refused once the budget is spent
        with pytest.raises(BudgetExhausted):
            session.post(url, json={}, headers={"Authorization": f"Api-Key {CANARY}"}, timeout=5)
        assert (standin.requests, standin.accepted_tasks) == (1, 0)


@pytest.mark.parametrize(
    ("body", "harmless"),
    [
        ({}, True),
        ({"upsale_ratio": 2}, True),
        ([], True),
        (SAMPLE, False),
        ({**SAMPLE, "upsale_ratio": 3}, False),
    ],
)
def test_a_body_that_cannot_be_a_task_is_invalid_and_names_no_image(body: object, harmless: bool) -> None:
    assert cannot_be_task(json.dumps(body)) is harmless


def test_an_empty_task_id_is_drift_on_the_read_the_spec_links_it_to() -> None:
    outcome, _ = in_process("empty-task-id", SWEEP_BUDGET)
    drift = next(f for f in outcome.drifts if f.check == "result_readable")
    assert drift.field == "task_id"
    assert "''" in drift.spec_says  # the value the submit returned
    assert drift.reproduce.startswith("curl -X GET")
    assert re.search(r"task_id=(&|'|$)", drift.reproduce)  # the empty value, as sent


def test_the_page_curl_sample_is_recorded_whatever_the_service_does(tmp_path: Path) -> None:
    row = re.compile(r"^\| provider's curl sample, as written \| `body` \| (\w+) it", re.MULTILINE)
    faithful = check_run(tmp_path / "a", "faithful")
    assert faithful.status == 0, faithful.output
    assert row.findall(faithful.report) == ["rejected"]
    lenient = check_run(tmp_path / "b", "lenient-json")
    assert lenient.status == 0, lenient.output
    assert row.findall(lenient.report) == ["accepted"]
    assert lenient.standin is not None
    assert lenient.standin.billed_tasks == PAID + 1 == DEFAULT_BUDGET  # the spare bought it


def test_a_user_id_never_replaces_the_token() -> None:
    outcome, standin = in_process("user-id-bypasses-auth", SWEEP_BUDGET)
    drifts = {(f.probe.split(" (")[0], f.check) for f in outcome.drifts}
    assert ("no token", "auth_enforced") in drifts
    assert standin.billed_tasks <= SWEEP_BUDGET
    assert standin.accepted_tasks > standin.billed_tasks  # the drifted service let them through


# --- the process boundary: the script, its exit status, its output (slow) ------------------------------


@pytest.mark.slow
def test_a_usage_error_returns_without_loading_schemathesis() -> None:
    code = (
        "import sys\n"
        "from hidream_contract.live.__main__ import main\n"
        "status = main({})\n"
        "print(status, 'schemathesis' in sys.modules, 'hypothesis' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIDREAM_")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.stdout.split() == ["2", "False", "False"], done.stdout + done.stderr
    assert "HIDREAM_API_TOKEN is not set" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "status"), [("faithful", 0), ("rename-task-id", 1), ("unavailable", 2)])
def test_the_script_exits_with_the_verdict(tmp_path: Path, mode: str, status: int) -> None:
    run = contract_live(tmp_path, mode)
    assert run.status == status, run.output
    assert f"(exit {status})" in run.output
    assert "==> contract-live:" in run.output
    assert run.report
    assert run.junit


@pytest.mark.slow
def test_the_script_with_no_token_is_a_usage_error_and_sends_nothing(tmp_path: Path) -> None:
    run = contract_live(tmp_path, "faithful", env={"HIDREAM_API_TOKEN": "<unset>"})
    assert run.status == 2
    assert "HIDREAM_API_TOKEN is not set" in run.output
    assert run.standin is not None
    assert run.standin.requests == 0


@pytest.mark.slow
def test_the_script_never_says_drift_when_its_environment_fails(tmp_path: Path) -> None:
    """1 means drift and nothing else: a Python that fails before the check (here, one that always
    exits 1, as a broken install would) makes the script say 2."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    for name in ("contract-live", "env.sh"):
        shutil.copy2(SCRIPTS / name, tmp_path / "scripts" / name)
    broken = tmp_path / ".venv" / "bin" / "python"
    broken.write_text("#!/bin/sh\necho 'Traceback: broken' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIDREAM_")}
    done = subprocess.run(
        [str(tmp_path / "scripts" / "contract-live")],
        env={**env, "HIDREAM_API_TOKEN": CANARY},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "could not run (exit 2)" in done.stderr


def test_an_error_of_the_check_mid_run_is_exit_2_even_after_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never 1 for an error of its own (issue 27): drift seen, then a bug of the check, is 2, and the
    report is still written, naming the error (and the drift seen before it)."""
    from hidream_contract.live import results

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"a bug of the check (Bearer {CANARY})")

    monkeypatch.setattr(results.ResultReads, "run", broken)
    run = check_run(tmp_path, "rename-task-id", budget=SWEEP_BUDGET)  # asserts the canary is nowhere
    assert run.status == 2, run.output
    assert "internal error of the check (a bug, not drift): RuntimeError" in run.output
    assert ("envelope_conformance", "result.task_id") in drift_rows(run.report)
    assert "(exit status 2)" in run.report
