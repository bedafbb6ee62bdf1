"""The project's workflows against the tools they wrap: the mock contract run, Prism readiness,
and the regenerate + check-generated run."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

from bench.measure import Goal, Result, Target, interleave
from hidream_contract.mock import running_mock
from hidream_contract.project import MOCK_CONTRACT_TEST, ROOT
from hidream_contract.spec import SPEC_PATH

CONTRACT_TARGET = Target(Goal.RATIO_AT_MOST, 1.3)
READINESS_TARGET = Target(Goal.DIFFERENCE_AT_MOST, 0.1)
CHECK_GENERATED_TARGET = Target(Goal.VALUE_AT_MOST, 2.0)
SCHEMATHESIS_TOML = ROOT / "config" / "schemathesis.toml"
# The pytest run swaps these two checks for the narrow mock-only ones in src/hidream_contract/mock_checks.py;
# the bare run loads the same replacements as schemathesis hooks (bench/st_mock_hooks.py).
REPLACED_CHECKS = "response_schema_conformance,negative_data_rejection"
STEP_TIMEOUT_S = 600.0
PROBE_TIMEOUT_S = 60.0


class WorkflowError(RuntimeError):
    """A benchmarked command failed; the message names it and carries the end of its output."""


@dataclass(frozen=True)
class WorkflowSizes:
    contract_rounds: int = 3
    max_examples: int | None = None  # None: what config/schemathesis.toml says
    readiness_rounds: int = 5
    generate_rounds: int = 5
    min_requests: int | None = None  # None: the contract run's own floor


QUICK_WORKFLOW_SIZES = WorkflowSizes(
    contract_rounds=1, max_examples=2, readiness_rounds=1, generate_rounds=1, min_requests=1
)


def tool_env(**extra: str) -> dict[str, str]:
    """The environment scripts/env.sh sets up, for commands started from Python."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(ROOT / ".venv" / "bin"), str(ROOT / "node_modules" / ".bin"), env["PATH"]]
    )
    env.update(SCARF_ANALYTICS="false", NO_UPDATE_NOTIFIER="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("MOCK_BASE_URL", None)  # each run starts or is given its own mock
    env.update(extra)
    return env


def run_timed(cmd: list[str], *, env: dict[str, str], what: str, cwd: Path = ROOT) -> float:
    """Wall seconds of `cmd`, which must succeed."""
    start = time.perf_counter_ns()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise WorkflowError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return elapsed


# --- the mock contract run -----------------------------------------------------------------------

_REQUESTS_SENT = re.compile(r"requests sent: \*\*(\d+)\*\*")


def requests_in_summary(summary: Path) -> int:
    """The request count src/hidream_contract/run_stats.py writes into the run's summary."""
    match = _REQUESTS_SENT.search(summary.read_text(encoding="utf-8"))
    if match is None:
        raise WorkflowError(f"no 'requests sent' line in {summary}")
    return int(match.group(1))


def requests_in_st_report(report_dir: Path) -> int:
    """Test cases the bare `st run` executed (one request each), from its JSON report."""
    reports = sorted(report_dir.glob("*.json"))
    if not reports:
        raise WorkflowError(f"st run wrote no JSON report into {report_dir}")
    data = json.loads(reports[-1].read_text(encoding="utf-8"))
    return int(data["test_cases"]["generated"])


STATELESS_PHASES = "examples,coverage,fuzzing"
STATEFUL_TEST = f"{MOCK_CONTRACT_TEST}::test_stateful_chain_reads_the_submitted_task"


def contract_command(sizes: WorkflowSizes, report_dir: Path) -> tuple[list[str], dict[str, str]]:
    extra = {"CONTRACT_REPORT_DIR": str(report_dir)}
    if sizes.max_examples is not None:
        extra["CONTRACT_MAX_EXAMPLES"] = str(sizes.max_examples)
    if sizes.min_requests is not None:
        extra["CONTRACT_MIN_REQUESTS"] = str(sizes.min_requests)
    # What `make contract` runs after its install check; JUnit goes beside the summary, not to reports/.
    # The stateless phases only: the stateful chain has no like-for-like baseline (pytest drives
    # hypothesis' state machine, `st run` its own engine), so both sides leave it out.
    cmd = [
        str(ROOT / "scripts" / "contract"),
        f"--junitxml={report_dir / 'junit.xml'}",
        "--deselect",
        f"{STATEFUL_TEST}",
    ]
    return cmd, tool_env(**extra)


def st_run_command(sizes: WorkflowSizes, base_url: str, report_dir: Path) -> tuple[list[str], dict[str, str]]:
    cmd = [
        "st",
        "--config-file",
        str(SCHEMATHESIS_TOML),
        "run",
        "--url",
        base_url,
        "--exclude-checks",
        REPLACED_CHECKS,
        "--phases",
        STATELESS_PHASES,
        "--report",
        "json",
        "--report-dir",
        str(report_dir),
    ]
    if sizes.max_examples is not None:
        cmd += ["--max-examples", str(sizes.max_examples)]
    cmd.append(str(SPEC_PATH))
    return cmd, tool_env(SCHEMATHESIS_HOOKS="bench.st_mock_hooks", PYTHONPATH=str(ROOT))


def contract_run(sizes: WorkflowSizes) -> Result:
    """`make contract` (Prism startup included) vs a bare `st run` against an already running Prism."""
    counts: dict[str, set[int]] = {"make": set(), "st": set()}
    with tempfile.TemporaryDirectory(prefix="bench-contract-") as tmp, running_mock() as base_url:
        rounds = 0

        def make_contract() -> float:
            nonlocal rounds
            rounds += 1
            report_dir = Path(tmp) / f"make-{rounds}"
            cmd, env = contract_command(sizes, report_dir)
            elapsed = run_timed(cmd, env=env, what="make contract")
            counts["make"].add(requests_in_summary(report_dir / "contract-summary.md"))
            return elapsed

        def bare_st_run() -> float:
            nonlocal rounds
            rounds += 1
            report_dir = Path(tmp) / f"st-{rounds}"
            cmd, env = st_run_command(sizes, base_url, report_dir)
            # From a scratch folder: st keeps a crash cache (.schemathesis/) in its working directory.
            elapsed = run_timed(cmd, env=env, what="st run", cwd=Path(tmp))
            counts["st"].add(requests_in_st_report(report_dir))
            return elapsed

        subject_s, baseline_s = interleave(
            make_contract, bare_st_run, rounds=sizes.contract_rounds, warmup=False
        )
    (make_requests,), (st_requests,) = (
        _one_count(counts["make"], "make contract"),
        _one_count(counts["st"], "st"),
    )
    return Result(
        "mock contract run (wall time)",
        "scripts/contract = make contract (Prism startup included)",
        "bare `st run`, same settings, Prism already up",
        "s",
        subject_s,
        baseline_s,
        target=CONTRACT_TARGET,
        extra={
            "requests": f"{make_requests} / {st_requests}",
            "requests/s": f"{make_requests / statistics.median(subject_s):.0f}"
            f" / {st_requests / statistics.median(baseline_s):.0f}",
        },
        key="contract",
    )


def _one_count(counts: set[int], who: str) -> tuple[int]:
    if len(counts) != 1:
        raise WorkflowError(
            f"{who}: the request count changed between rounds ({sorted(counts)}); the seed is fixed"
        )
    return (next(iter(counts)),)


# --- Prism readiness ------------------------------------------------------------------------------

_MOCK_URL_LINE = re.compile(r"==> mock: Prism on http://127\.0\.0\.1:(\d+) ")


def _probe_until_answer(port: int, started: int, deadline_s: float) -> float | None:
    """A tight loop: POST / until any HTTP answer arrives; seconds from `started` to that answer."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        conn = HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("POST", "/")
            conn.getresponse().read()
            return (time.perf_counter_ns() - started) / 1e9
        except OSError:
            time.sleep(0.001)
        finally:
            conn.close()
    return None


@contextmanager
def _mock_process() -> Iterator[subprocess.Popen[str]]:
    """scripts/mock --serve, stopped (stdin closed, then its group killed) however the block ends."""
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "mock"), "--serve", str(SPEC_PATH)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def one_readiness_round() -> tuple[float, float]:
    """One launch of scripts/mock: (s until it reports ready, s until a tight probe got an answer).

    The probe starts as soon as scripts/mock names its port, just before it launches Prism, and
    polls the same Prism; both clocks start at the launch of scripts/mock.
    """
    probe_result: list[float | None] = []
    with _mock_process() as proc:
        started = time.perf_counter_ns()
        assert proc.stdout is not None
        assert proc.stderr is not None
        stderr = proc.stderr

        def watch_stderr() -> None:
            for line in stderr:
                match = _MOCK_URL_LINE.search(line)
                if match and not probe_result:
                    probe_result.append(_probe_until_answer(int(match.group(1)), started, PROBE_TIMEOUT_S))

        watcher = threading.Thread(target=watch_stderr, daemon=True)
        watcher.start()
        line = proc.stdout.readline()
        script_s = (time.perf_counter_ns() - started) / 1e9
        if not line.startswith("MOCK_BASE_URL="):
            raise WorkflowError(f"scripts/mock did not report ready (printed {line!r})")
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while not probe_result and time.monotonic() < deadline:
            time.sleep(0.01)
    probe_s = probe_result[0] if probe_result else None
    if probe_s is None:
        raise WorkflowError("the tight probe never got an answer from Prism")
    return script_s, probe_s


def prism_readiness(sizes: WorkflowSizes) -> Result:
    script_values: list[float] = []
    probe_values: list[float] = []
    for _ in range(sizes.readiness_rounds):
        script_s, probe_s = one_readiness_round()
        script_values.append(script_s)
        probe_values.append(probe_s)
    return Result(
        "Prism readiness: launch → first accepted request",
        "scripts/mock detects it",
        "tight probe loop, same launch",
        "s",
        tuple(script_values),
        tuple(probe_values),
        target=READINESS_TARGET,
        note="both clocks on one launch, so the rounds are paired by construction",
        key="readiness",
    )


# --- regenerate + check-generated ---------------------------------------------------------------------


def check_generated(sizes: WorkflowSizes) -> Result:
    """`make check-generated` vs the bare generator run it wraps (same spec, config, templates)."""
    env = tool_env()
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:

        def bare_generator() -> float:
            out = Path(tmp) / "client"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [
                "openapi-python-client",
                "generate",
                "--path",
                str(SPEC_PATH),
                "--config",
                "config/openapi-python-client.yaml",
                "--custom-template-path",
                "config/templates",
                "--meta",
                "uv",
                "--output-path",
                str(out),
                "--fail-on-warning",
            ]
            return run_timed(cmd, env=env, what="openapi-python-client generate")

        subject_s, baseline_s = interleave(
            lambda: run_timed(
                ["make", "--no-print-directory", "check-generated"], env=env, what="make check-generated"
            ),
            bare_generator,
            rounds=sizes.generate_rounds,
        )
    return Result(
        "regenerate + check-generated (wall time)",
        "make check-generated",
        "bare openapi-python-client generate",
        "s",
        subject_s,
        baseline_s,
        target=CHECK_GENERATED_TARGET,
        key="generate",
    )
