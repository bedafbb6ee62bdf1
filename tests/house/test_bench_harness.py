"""The benchmark harness (bench/, `make bench`) works: rounds interleave, figures and verdicts are
computed from the values, every benchmark runs end to end with tiny counts and yields a well-formed
row, and the report carries every row. Timings are never asserted here: they are measured only by
`make bench`, and the quick counts make the figures meaningless on purpose."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bench import findings, make_test, report, workflow
from bench.__main__ import DEFAULT_GROUPS, GROUPS, QUICK, main, profile_client, profile_generate, run_client
from bench.client_calls import (
    BenchSetupError,
    compare_per_call,
    generated_client,
    generated_sync_call,
    raw_sync_call,
)
from bench.local_server import serving
from bench.measure import Goal, Result, Target, interleave, per_call_us
from bench.payloads import HEADERS, accepted_body, request_example
from hidream_contract.project import ROOT
from hidream_contract.spec import submit

SUBMIT_PATH = submit().path

CLIENT_KEYS = [
    "sync_local",
    "sdk_sync_local",
    "sdk_guards",
    "sync_mock",
    "sdk_sync_mock",
    "async",
    "sdk_async",
    "construct_httpx",
    "construct_generated",
    "construct_sdk",
]


def row(
    subject: tuple[float, ...], baseline: tuple[float, ...], target: Target | None, key: str = "sync_local"
) -> Result:
    return Result("a row", "subject", "baseline", "µs/call", subject, baseline, target=target, key=key)


def assert_well_formed(result: Result, rounds: int) -> None:
    assert result.key, result.name
    assert result.rounds == rounds
    for value in (*result.subject_values, *result.baseline_values):
        assert math.isfinite(value)
        assert value > 0, f"{result.name}: {value}"
    assert math.isfinite(result.ratio)
    assert result.verdict in {"met", "MISSED", "—"}
    assert (result.verdict == "—") == (result.target is None)


def test_interleave_alternates_the_order_and_keeps_one_value_per_round() -> None:
    calls: list[str] = []

    def side(name: str, values: list[float]) -> Callable[[], float]:
        def run() -> float:
            calls.append(name)
            return values.pop(0)

        return run

    subject, baseline = interleave(
        side("A", [0.0, 1.0, 2.0, 3.0]),
        side("B", [0.0, 10.0, 20.0, 30.0]),
        rounds=3,
    )
    assert calls == ["A", "B", "A", "B", "B", "A", "A", "B"]  # warm-up, then AB, BA, AB
    assert subject == (1.0, 2.0, 3.0)
    assert baseline == (10.0, 20.0, 30.0)
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        interleave(lambda: 1.0, lambda: 1.0, rounds=0)
    with pytest.raises(ValueError, match="calls must be at least 1"):
        per_call_us(lambda: None, 0)


def test_figures_are_medians_of_the_paired_rounds_and_verdicts_follow_the_goal() -> None:
    # Per-round ratios 1.0, 3.0, 1.2 -> median 1.2; not the ratio of the medians (12/10).
    r = row((10.0, 30.0, 12.0), (10.0, 10.0, 10.0), Target(Goal.RATIO_AT_MOST, 1.1))
    assert r.subject_median == 12.0
    assert r.ratio == pytest.approx(1.2)
    assert r.difference == pytest.approx(2.0)
    assert (r.met, r.verdict) == (False, "MISSED")
    assert row((10.0,), (10.0,), Target(Goal.RATIO_AT_MOST, 1.1)).met is True
    assert row((8.0,), (10.0,), Target(Goal.RATIO_AT_LEAST, 0.9)).met is False
    assert row((9.5,), (10.0,), Target(Goal.RATIO_AT_LEAST, 0.9)).met is True
    assert row((2.5,), (0.1,), Target(Goal.VALUE_AT_MOST, 2.0)).met is False
    assert row((1.5,), (0.1,), Target(Goal.VALUE_AT_MOST, 2.0)).met is True
    assert row((1.25,), (1.1,), Target(Goal.DIFFERENCE_AT_MOST, 0.1)).met is False
    assert row((1.15,), (1.1,), Target(Goal.DIFFERENCE_AT_MOST, 0.1)).met is True
    assert row((1.0,), (1.0,), None).verdict == "—"
    with pytest.raises(ValueError, match="one value per round"):
        row((1.0, 2.0), (1.0,), None)
    with pytest.raises(ValueError, match="one value per round"):
        row((), (), None)


@pytest.mark.slow
def test_local_server_answers_the_spec_example_and_stops() -> None:
    with serving() as base_url, httpx.Client(base_url=base_url) as http:
        ok = http.post(SUBMIT_PATH, json=request_example(), headers=HEADERS)
        assert ok.status_code == 200
        assert ok.content == accepted_body()
        assert ok.json()["code"] == 0
        assert http.post("/elsewhere", json={}).status_code == 404
    with pytest.raises(httpx.TransportError):
        httpx.post(base_url + SUBMIT_PATH, json={}, timeout=2)


def test_a_call_that_is_not_accepted_is_refused_before_timing() -> None:
    rejected = json.dumps({"code": 1, "message": "bad", "request_id": "r"}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=rejected))
    with (
        generated_client("http://bench.invalid", httpx_args={"transport": transport}) as client,
        httpx.Client(base_url="http://bench.invalid", transport=transport) as raw,
    ):
        for subject in (generated_sync_call(client), raw_sync_call(raw)):
            with pytest.raises(BenchSetupError, match="expected the accepted answer"):
                compare_per_call(
                    name="n", subject=("s", subject), baseline=("b", subject), calls=1, rounds=1, target=None
                )


@pytest.mark.slow
def test_every_client_benchmark_runs_and_yields_a_row() -> None:
    results = run_client(QUICK)
    assert [r.key for r in results] == CLIENT_KEYS
    for result in results:
        assert_well_formed(result, QUICK.client.rounds)
    assert {r.unit for r in results} == {"µs/call", "req/s", "ms/client"}


def test_request_counts_are_read_from_both_runs_reports(tmp_path: Path) -> None:
    summary = tmp_path / "contract-summary.md"
    summary.write_text("# Mock contract run\n\n- outcome: **passed**\n- requests sent: **1180**\n")
    assert workflow.requests_in_summary(summary) == 1180
    summary.write_text("# nothing here\n")
    with pytest.raises(workflow.WorkflowError, match="no 'requests sent' line"):
        workflow.requests_in_summary(summary)
    with pytest.raises(workflow.WorkflowError, match="no JSON report"):
        workflow.requests_in_st_report(tmp_path)
    (tmp_path / "json-1.json").write_text(json.dumps({"test_cases": {"generated": 77}}))
    assert workflow.requests_in_st_report(tmp_path) == 77


def test_the_bare_st_run_uses_the_contract_runs_settings(tmp_path: Path) -> None:
    sizes = workflow.WorkflowSizes(max_examples=7)
    cmd, env = workflow.st_run_command(sizes, "http://127.0.0.1:1", tmp_path)
    assert cmd[:3] == ["st", "--config-file", str(ROOT / "config" / "schemathesis.toml")]
    assert cmd[cmd.index("--exclude-checks") + 1] == workflow.REPLACED_CHECKS
    assert cmd[cmd.index("--max-examples") + 1] == "7"
    assert env["SCHEMATHESIS_HOOKS"] == "bench.st_mock_hooks"
    make_cmd, make_env = workflow.contract_command(sizes, tmp_path)
    assert make_cmd[0].endswith("scripts/contract")
    assert make_env["CONTRACT_MAX_EXAMPLES"] == "7"
    assert make_env["CONTRACT_REPORT_DIR"] == str(tmp_path)
    # Both leave the stateful chain out: it has no like-for-like baseline.
    assert "stateful" not in cmd[cmd.index("--phases") + 1].split(",")
    assert make_cmd[make_cmd.index("--deselect") + 1] == workflow.STATEFUL_TEST


@pytest.mark.slow
def test_the_hooks_register_the_mock_checks_and_the_replaced_names_exist() -> None:
    # In a child process: registering checks is global, and this test process runs other suites.
    code = (
        "import bench.st_mock_hooks\n"
        "from schemathesis.checks import CHECKS, load_all_checks\n"
        "load_all_checks()\n"
        "print(' '.join(CHECKS.get_all_names()))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    names = set(proc.stdout.split())
    assert {
        "mock_response_schema_conformance",
        "documented_negative_data_rejection",
        "mock_requires_credentials",
        "mock_undeclared_method_is_405",
    } <= names
    assert set(workflow.REPLACED_CHECKS.split(",")) <= names


# One test per workflow benchmark (each starts Prism or a generator): they can run on different workers.
WORKFLOW_BENCHMARKS = [
    pytest.param(workflow.prism_readiness, "readiness", id="readiness"),
    pytest.param(workflow.check_generated, "generate", id="generate"),
    pytest.param(workflow.contract_run, "contract", id="contract"),
]


@pytest.mark.slow
@pytest.mark.prism
@pytest.mark.parametrize(("benchmark", "key"), WORKFLOW_BENCHMARKS)
def test_every_workflow_benchmark_runs_and_yields_a_row(
    benchmark: Callable[[workflow.WorkflowSizes], Result], key: str
) -> None:
    result = benchmark(QUICK.workflow)
    assert result.key == key
    assert_well_formed(result, 1)
    if key == "contract":
        made, bare = result.extra["requests"].split(" / ")
        assert int(made) > 0
        assert int(made) == int(bare)  # same seed, same settings: the same test cases


def test_the_report_carries_every_row_finding_and_fact(tmp_path: Path) -> None:
    missed = row((30.0,), (10.0,), Target(Goal.RATIO_AT_MOST, 1.1), key="sync_local")
    met = row((10.0,), (10.0,), Target(Goal.RATIO_AT_LEAST, 0.9), key="async")
    unknown = row((1.0,), (1.0,), None, key="no_writer")
    lines = findings.findings([missed, met, unknown])
    assert len(lines) == 2
    assert lines[0].startswith("**MISSED**")
    assert not lines[1].startswith("**MISSED**")
    assert set(findings.WRITERS) >= {*CLIENT_KEYS, "readiness", "generate", "contract"}

    text = report.markdown(
        [missed, met],
        started=datetime.now(UTC),
        seconds=1.0,
        machine_facts=report.machine(),
        version_facts={"Python": "3.x"},
        findings=lines,
        method=findings.METHOD,
    )
    table = [line for line in text.splitlines() if line.startswith("| a row |")]
    assert len(table) == 2
    assert "| MISSED |" in table[0]
    assert "| met |" in table[1]
    for heading in ("## Figures", "## Findings", "## Machine", "## Versions", "## Reproduce"):
        assert heading in text
    assert "cores (nproc)" in text
    assert "make bench" in text


@pytest.mark.slow
def test_the_command_line_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "BENCH.md"
    assert main(["--quick", "--only", "client", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sync submit, keep-alive, local server" in printed
    text = out.read_text(encoding="utf-8")
    assert text.count("\n| ") >= len(CLIENT_KEYS) + 4  # header + rows + machine/version facts
    assert "## Findings" in text


@pytest.mark.slow
def test_the_profiles_name_the_code_they_profile(tmp_path: Path) -> None:
    client_profile = profile_client(tmp_path, calls=20)
    assert "Upscale.submit" in client_profile.read_text(encoding="utf-8")
    generate_profile = profile_generate(tmp_path)
    assert "openapi_python_client" in generate_profile.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "profile-client-submit.txt",
        "profile-generate.txt",
    ]  # the generator's output went to a scratch folder that is gone


@pytest.mark.slow
def test_the_live_benchmark_counts_tasks_on_the_service_side_and_the_surface_covered() -> None:
    from bench.live_run import QUICK_LIVE_SIZES, live_check
    from hidream_contract.live.probes import default_budget, paid_probes

    results = {r.key: r for r in live_check(QUICK_LIVE_SIZES)}
    keys = (
        "live_tasks_default",
        "live_surface_default",
        "live_wall",
        "live_tasks_budget1",
        "live_surface_budget1",
    )
    assert set(results) == set(keys)
    for result in results.values():
        assert_well_formed(result, QUICK_LIVE_SIZES.rounds)
    assert results["live_tasks_default"].subject_values == (
        float(len(paid_probes())),
    )  # the stand-in's count
    assert results["live_tasks_default"].met
    assert results["live_surface_default"].subject_values == (100.0,)
    assert results["live_tasks_budget1"].subject_values == (1.0,)
    assert results["live_surface_budget1"].subject_median < 100.0  # budget 1 leaves the full probe out
    assert "default budget " + str(default_budget()) in results["live_wall"].name


@pytest.mark.slow
def test_the_make_test_group_times_commands_in_a_fresh_clone_and_runs_by_default(
    tmp_path: Path,
) -> None:
    """`make test`'s duration is a bench row (group make-test) of every `make bench`, measured in a fresh
    clone of HEAD with the clone's own tools; the quick sizes run git commands in its place."""
    assert "make-test" in GROUPS
    assert set(DEFAULT_GROUPS) == set(GROUPS)
    results = make_test.make_test(make_test.QUICK_MAKE_TEST_SIZES)
    assert [r.key for r in results] == ["make-test", "unit-xdist"]
    for result in results:
        assert_well_formed(result, 1)
    assert results[0].target == make_test.MAKE_TEST_TARGET
    assert make_test.MakeTestSizes().make_test == ("make", "test")

    clone = make_test.fresh_clone(tmp_path / "kit")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    cloned = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert cloned.stdout == head.stdout
    assert not (clone / ".venv").exists()  # nothing of this checkout's environment comes along
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin", "VIRTUAL_ENV": str(ROOT / ".venv")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        cleaned = make_test.clone_env()
    assert cleaned["PATH"] == "/usr/bin"
    assert "VIRTUAL_ENV" not in cleaned
