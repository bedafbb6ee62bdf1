"""scripts/contract-live against the local stand-in: its exit status is the expected.

Every run checks three things besides its own assertions: the stand-in accepted no more tasks than
HIDREAM_LIVE_MAX_BILLABLE allows, the report and JUnit were written, and the token (a canary) appears
in no output and no file the run wrote.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from hidream_contract.live.guard import Budget, BudgetExhausted, DeadlineExceeded, GuardedAdapter, Traffic
from hidream_contract.live.guard import guarded_session as make_session
from hidream_contract.live.probes import billable_probes
from hidream_contract.live.requests_model import (
    Intent,
    authorization_digest,
    expectation_for,
    names_real_image,
)
from hidream_contract.live.settings import Secret, UsageError, load
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import production_base_url, submit
from tests.doubles.standin import MODES, StandIn, running_standin

SUBMIT_PATH = submit().path

CANARY = "canary-tok-5f0c7e19ab"
ALL_BILLABLE = len(billable_probes())
RUN_TIMEOUT_S = 120


@dataclass
class Run:
    status: int
    output: str
    report: str
    junit: str
    standin: StandIn | None


def contract_live(
    tmp_path: Path,
    mode: str | None = "faithful",
    *,
    standin_token: str = CANARY,
    budget: int = ALL_BILLABLE,
    probes: str = "all",
    env: dict[str, str] | None = None,
) -> Run:
    """Run scripts/contract-live against a fresh stand-in (or none, with mode=None)."""
    reports = tmp_path / "reports"
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("HIDREAM_") and k not in ("PYTEST_ADDOPTS",)
    }
    base.update(
        HIDREAM_API_TOKEN=CANARY,
        HIDREAM_LIVE_MAX_BILLABLE=str(budget),
        HIDREAM_LIVE_PROBES=probes,
        HIDREAM_LIVE_MAX_RPS="1000",  # a local stand-in needs no politeness
        HIDREAM_LIVE_MAX_RETRY_WAIT_S="0",
        HIDREAM_LIVE_FUZZ_EXAMPLES="10",  # a few negative cases per run; one test runs the default
        HIDREAM_LIVE_REPORTS_DIR=str(reports),
    )

    def _run(base_url: str | None) -> subprocess.CompletedProcess[str]:
        full = {**base, **({"HIDREAM_API_BASE_URL": base_url} if base_url else {}), **(env or {})}
        full = {k: v for k, v in full.items() if v != "<unset>"}
        return subprocess.run(
            [str(SCRIPTS / "contract-live")],
            cwd=ROOT,
            env=full,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )

    if mode is None:
        done, standin = _run((env or {}).get("HIDREAM_API_BASE_URL")), None
    else:
        with running_standin(mode, token=standin_token) as standin:
            done = _run(standin.base_url)
    output = done.stdout + done.stderr
    report = (
        (reports / "live-drift-report.md").read_text("utf-8")
        if (reports / "live-drift-report.md").exists()
        else ""
    )
    junit = (reports / "live-junit.xml").read_text("utf-8") if (reports / "live-junit.xml").exists() else ""
    # The canary token never shows: not on the terminal, not in any file the run wrote.
    assert CANARY not in output
    for path in reports.rglob("*") if reports.exists() else []:
        assert CANARY not in path.read_text("utf-8", errors="replace"), f"token leaked into {path.name}"
    if standin is not None:
        effective_budget = int((env or {}).get("HIDREAM_LIVE_MAX_BILLABLE", budget))
        assert standin.accepted_tasks <= effective_budget, (
            f"{standin.accepted_tasks} tasks accepted, budget {effective_budget}"
        )
        counted = re.search(r"requests sent: (\d+)", report)
        if counted is not None:  # every request the stand-in saw went through the guard, which counted it
            assert int(counted.group(1)) == standin.requests
    return Run(done.returncode, output, report, junit, standin)


def drift_rows(report: str) -> set[tuple[str, str]]:
    """(check, field) of every row of the report's drift table."""
    return set(re.findall(r"^\| \d+ \| `([^`]+)` \| `([^`]+)` \|", report, flags=re.MULTILINE))


HARMLESS = [name for name, mode in MODES.items() if mode.kind in ("faithful", "harmless")]

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
    "ignore-auth": ("auth_enforced", "Authorization"),
    "ignore-bad-token": ("auth_enforced", "Authorization"),
    "wrong-content-type": ("content_type_conformance", "Content-Type"),
    "new-required-field": ("accepted_when_valid", "request body"),
    "status-201": ("status_code_conformance", "HTTP status"),
    "rejection-500": ("not_a_server_error", "HTTP status"),
}


def test_every_drift_mode_of_the_standin_has_an_expectation() -> None:
    assert set(DRIFT) == {name for name, mode in MODES.items() if mode.kind == "drift"}


@pytest.mark.parametrize("mode", HARMLESS)
def test_faithful_and_harmless_variations_pass(tmp_path: Path, mode: str) -> None:
    budget = 2 * ALL_BILLABLE if mode == "flaky-429" else ALL_BILLABLE  # retries of billable sends count too
    run = contract_live(tmp_path, mode, budget=budget)
    assert run.status == 0, run.output
    assert "the service matches the spec (exit 0)" in run.output
    assert drift_rows(run.report) == set()
    assert "None found." in run.report
    assert 'failures="0"' in run.junit


@pytest.mark.parametrize("mode", sorted(DRIFT))
def test_every_drift_mode_exits_1_naming_the_check_and_field(tmp_path: Path, mode: str) -> None:
    run = contract_live(tmp_path, mode)
    assert run.status == 1, run.output
    assert DRIFT[mode] in drift_rows(run.report), run.report
    check, field = DRIFT[mode]
    assert f"drift: {check} on {field}" in run.output  # the terminal summary names it too
    assert f"POST {SUBMIT_PATH}" in run.report
    assert "curl -X POST" in run.report
    assert "$HIDREAM_API_TOKEN" in run.report
    assert re.search(r'failures="[1-9]', run.junit)


def test_drift_report_says_what_the_spec_says_and_what_the_service_did(tmp_path: Path) -> None:
    run = contract_live(tmp_path, "new-required-field")
    section = run.report.split("### 1.")[1]
    assert (
        "the spec says: a request with the token and a body valid per UpscaleRequest is accepted" in section
    )
    assert "the service did: answered HTTP 200, code 1001" in section
    assert "model: required" in section
    assert "upsale_ratio=2" in section  # the request that was refused


def test_silent_documentation_is_recorded_not_failed(tmp_path: Path) -> None:
    faithful = contract_live(tmp_path / "a", "faithful", env={"HIDREAM_LIVE_FUZZ_EXAMPLES": "30"})
    strict = contract_live(tmp_path / "b", "strict-fields")
    assert faithful.status == strict.status == 0
    row = re.compile(r"^\| unknown body field \| `x_undocumented_field` \| (\w+) it", re.MULTILINE)
    assert row.findall(faithful.report) == ["accepted"]
    assert row.findall(strict.report) == ["rejected"]
    assert "| GET (undeclared) | `HTTP method` | answered HTTP 405" in faithful.report
    sent = re.search(r"negative cases from schemathesis: (\d+) sent of 30 drawn", faithful.report)
    assert sent is not None
    assert int(sent.group(1)) >= 10


@pytest.mark.parametrize("mode", ["unavailable", "throttled"])
def test_a_service_that_is_down_or_throttling_is_could_not_run(tmp_path: Path, mode: str) -> None:
    run = contract_live(tmp_path, mode)
    assert run.status == 2, run.output
    assert run.standin is not None
    assert run.standin.accepted_tasks == 0
    assert "could not run" in run.output
    assert ("looks down" if mode == "unavailable" else "429") in run.output


def test_missing_token_is_a_usage_error_and_sends_nothing(tmp_path: Path) -> None:
    run = contract_live(tmp_path, "faithful", env={"HIDREAM_API_TOKEN": "<unset>"})
    assert run.status == 2
    assert "HIDREAM_API_TOKEN is not set" in run.output
    assert run.standin is not None
    assert run.standin.requests == 0


def test_unreachable_host_is_could_not_run(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = contract_live(
        tmp_path, None, env={"HIDREAM_API_BASE_URL": f"http://127.0.0.1:{port}/api-pub/gw/v3"}
    )
    assert run.status == 2, run.output
    assert f"cannot connect to http://127.0.0.1:{port}" in run.output


@pytest.mark.parametrize(
    ("mode", "said"), [("faithful", "the token was refused"), ("auth-envelope", "seems refused")]
)
def test_a_rejected_token_is_could_not_run(tmp_path: Path, mode: str, said: str) -> None:
    run = contract_live(tmp_path, mode, standin_token="another-accounts-token")
    assert run.status == 2, run.output
    assert said in run.output
    assert run.standin is not None
    assert run.standin.accepted_tasks == 0


def test_a_budget_too_small_for_the_checks_asked_sends_nothing(tmp_path: Path) -> None:
    run = contract_live(tmp_path, "faithful", budget=ALL_BILLABLE - 1, probes="all")
    assert run.status == 2
    assert f"needs HIDREAM_LIVE_MAX_BILLABLE >= {ALL_BILLABLE}" in run.output
    assert run.standin is not None
    assert run.standin.requests == 0


@pytest.mark.parametrize("budget", [1, 3])
def test_the_default_probe_set_stays_within_the_budget(tmp_path: Path, budget: int) -> None:
    # ignore-auth accepts every request that names an image, so each billable send becomes a task.
    run = contract_live(tmp_path, "ignore-auth", budget=budget, probes="auto")
    assert run.standin is not None
    assert run.standin.accepted_tasks == budget  # exactly the budget: spent, never exceeded
    assert f"billable: {budget} of HIDREAM_LIVE_MAX_BILLABLE={budget}" in run.report
    assert f"tasks the service accepted (billed): {budget}" in run.report
    assert "## Not run: over the billable budget" in run.report
    assert run.status == (1 if budget >= 3 else 0)  # the no-token probe is the third billable one


def test_free_probe_set_costs_nothing(tmp_path: Path) -> None:
    run = contract_live(tmp_path, "accept-any-ratio", budget=0, probes="free")
    assert run.standin is not None
    assert run.standin.accepted_tasks == 0
    assert run.status == 0  # what it could see matches; the drift needs a real image to show
    assert "billable: 0 of HIDREAM_LIVE_MAX_BILLABLE=0" in run.report


def test_a_service_echoing_the_token_is_redacted(tmp_path: Path) -> None:
    run = contract_live(tmp_path, "echo-auth")
    assert run.status == 0
    assert "(Authorization: Bearer [REDACTED])" in run.report  # it was there, and scrubbed


# --- the transport guard and the request model, without the script --------------------------


@pytest.fixture
def faithful() -> Iterator[StandIn]:
    with running_standin("ignore-auth", token=CANARY) as standin:
        yield standin


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
    )


SAMPLE = {"image": "https://storage.hidreamai.com/image/p.png", "upsale_ratio": 2}


def test_guard_refuses_a_billable_send_once_the_budget_is_spent(faithful: StandIn) -> None:
    adapter = _adapter(1)
    with make_session(adapter) as session:
        url = faithful.base_url + SUBMIT_PATH
        assert session.post(url, json=SAMPLE, timeout=5).json()["code"] == 0
        with pytest.raises(BudgetExhausted, match="HIDREAM_LIVE_MAX_BILLABLE=1"):
            session.post(url, json=SAMPLE, timeout=5)
        assert session.post(url, json={"upsale_ratio": 3}, timeout=5).json()["code"] != 0  # free: still sent
    assert faithful.requests == 2
    assert faithful.accepted_tasks == 1
    assert (adapter.budget.spent, adapter.traffic.billable_sent, adapter.traffic.sent) == (1, 1, 2)


def test_guard_retries_429_a_bounded_number_of_times() -> None:
    waits: list[float] = []
    adapter = GuardedAdapter(
        budget=Budget(0),
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
        assert standin.requests == 3  # one try and two retries
    assert adapter.traffic.retries == 2
    assert waits == [0.0, 0.0]  # Retry-After: 0, capped by max_retry_wait_s


def test_guard_spaces_requests_and_stops_at_the_deadline() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    adapter = GuardedAdapter(
        budget=Budget(0),
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


@pytest.mark.parametrize(
    ("image", "billable"),
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
def test_a_request_is_billable_when_it_names_a_real_image(image: str, billable: bool) -> None:
    import json

    assert names_real_image(json.dumps({"image": image, "upsale_ratio": 3})) is billable
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
    import json

    expected = expectation_for(json.dumps(body), headers, DIGEST)
    assert (expected.intent, expected.fields) == (intent, fields)


def test_settings_name_what_is_wrong() -> None:
    with pytest.raises(UsageError, match="HIDREAM_API_TOKEN is not set"):
        load({})
    with pytest.raises(UsageError, match="HIDREAM_LIVE_MAX_BILLABLE must be a int >= 0, got 'many'"):
        load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_MAX_BILLABLE": "many"})
    with pytest.raises(UsageError, match="HIDREAM_API_BASE_URL must be an http"):
        load({"HIDREAM_API_TOKEN": "t", "HIDREAM_API_BASE_URL": "ftp://x"})
    with pytest.raises(UsageError, match="HIDREAM_LIVE_PROBES must be one of auto, all, free"):
        load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_PROBES": "some"})
    config = load({"HIDREAM_API_TOKEN": CANARY})
    assert config.base_url == production_base_url()
    assert (config.max_billable, config.probes) == (1, "auto")
    assert CANARY not in repr(config)
    assert CANARY not in str(config.token)
    assert config.token.reveal() == CANARY
    assert repr(Secret("x")) == "Secret('[REDACTED]')"


def test_settings_take_an_empty_variable_as_unset() -> None:
    """A CI variable that is not defined in the repository arrives as an empty string."""
    config = load({"HIDREAM_API_TOKEN": "t", "HIDREAM_LIVE_MAX_BILLABLE": "", "HIDREAM_LIVE_PROBES": " "})
    assert (config.max_billable, config.probes) == (1, "auto")
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
            "HIDREAM_API_TOKEN": CANARY,
            "HIDREAM_API_BASE_URL": standin.base_url,
            "HIDREAM_LIVE_PROBES": "all",
            "HIDREAM_LIVE_MAX_BILLABLE": str(ALL_BILLABLE),
            "HIDREAM_LIVE_MAX_RPS": "1000",
            "HIDREAM_LIVE_MAX_RETRY_WAIT_S": "0",
            "HIDREAM_LIVE_FUZZ_EXAMPLES": "5",
            "HIDREAM_LIVE_REPORTS_DIR": str(tmp_path),
        }.items():
            monkeypatch.setenv(name, value)
        assert main() == status
        assert standin.accepted_tasks <= ALL_BILLABLE
    out = capsys.readouterr()
    assert CANARY not in out.out + out.err
    assert f"(exit {status})" in out.out
    for path in tmp_path.iterdir():
        assert CANARY not in path.read_text("utf-8")
