"""`make test`'s two lanes (scripts/test, scripts/checks), driven with stand-in steps: the real
scripts/test and scripts/checks are copied into a scratch project whose scripts/lint, unit, ... only
record that they ran (and fail, or hang, when a test asks). What is checked: the lanes run side by side,
a failing step is named with its output and fails the run without stopping the other lane, and a
signal stops both lanes, every process they started included."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hidream_contract.project import SCRIPTS

STEPS = ("lint", "check-generated", "unit", "dist", "contract")

# A step records its start and end; STEP_FAIL_<step>=1 makes it fail, STEP_HANG_<step>=1 makes it hang
# (its pid written down), as a test run waiting on a server would.
STUB = """#!/usr/bin/env bash
set -euo pipefail
name=$(basename "$0")
var=${name//-/_}
echo "start $name $(date +%s.%N)" >>"$RECORD"
fail="STEP_FAIL_$var"; hang="STEP_HANG_$var"
if [ "${!hang:-}" = 1 ]; then echo $$ >"$RECORD.$name.pid"; exec sleep 300; fi
sleep "${STEP_SECONDS:-0.3}"
if [ "${!fail:-}" = 1 ]; then echo "output of the failing $name"; exit 3; fi
echo "end $name $(date +%s.%N)" >>"$RECORD"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    for script in ("test", "checks"):
        shutil.copy2(SCRIPTS / script, root / "scripts" / script)
    for step in STEPS:
        stub = root / "scripts" / step
        stub.write_text(STUB, encoding="utf-8")
        stub.chmod(0o755)
    return root


Events = list[tuple[str, str, float]]  # (start or end, step, when)


def run_test(project: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Events]:
    record = project / "record.txt"
    done = subprocess.run(
        [str(project / "scripts" / "test")],
        env={**os.environ, "RECORD": str(record), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = record.read_text(encoding="utf-8").split("\n") if record.exists() else []
    events = [(kind, step, float(at)) for kind, step, at in (line.split() for line in lines if line)]
    return done, events


def times(events: Events, kind: str) -> dict[str, float]:
    return {step: at for k, step, at in events if k == kind}


def test_the_checks_run_beside_the_unit_tests_and_all_green_says_so(project: Path) -> None:
    done, events = run_test(project, STEP_SECONDS="0.5")
    assert done.returncode == 0, done.stdout + done.stderr
    started, ended = times(events, "start"), times(events, "end")
    assert set(ended) == set(STEPS)
    assert started["lint"] < ended["unit"]  # side by side
    assert started["unit"] < ended["lint"]
    order = sorted(("lint", "check-generated", "dist", "contract"), key=started.__getitem__)
    assert order == ["lint", "check-generated", "dist", "contract"]  # the checks lane keeps its order
    for step in ("lint", "check-generated", "dist", "contract"):
        assert f"==> checks: {step} ok" in done.stdout
    assert "==> test: all green" in done.stdout


def test_a_failing_check_is_named_with_its_output_and_the_unit_tests_still_finish(project: Path) -> None:
    done, events = run_test(project, STEP_FAIL_lint="1")
    assert done.returncode == 1
    assert "==> checks: lint FAILED" in done.stderr
    assert "output of the failing lint" in done.stderr  # its log, printed at once
    assert "scripts/checks FAILED" in done.stderr
    started, ended = times(events, "start"), times(events, "end")
    assert "check-generated" not in started  # the lane stops at its first failure
    assert "unit" in ended  # the other lane ran to its end
    assert "all green" not in done.stdout


def test_failing_unit_tests_fail_the_run_and_the_checks_still_finish(project: Path) -> None:
    done, events = run_test(project, STEP_FAIL_unit="1")
    assert done.returncode == 1
    assert "the unit tests FAILED (exit 3)" in done.stderr
    assert set(times(events, "end")) == {"lint", "check-generated", "dist", "contract"}


def test_serial_runs_the_steps_one_after_another(project: Path) -> None:
    done, events = run_test(project, TEST_LANES="serial", STEP_SECONDS="0")
    assert done.returncode == 0, done.stderr
    started = times(events, "start")
    assert sorted(started, key=started.__getitem__) == list(STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_both_lanes_and_what_they_started(project: Path, sig: signal.Signals) -> None:
    record = project / "record.txt"
    env = {**os.environ, "RECORD": str(record), "STEP_HANG_lint": "1", "STEP_HANG_unit": "1"}
    proc = subprocess.Popen(
        [str(project / "scripts" / "test")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # our own group: the signal is sent to scripts/test alone
    )
    pids = [project / "record.txt.lint.pid", project / "record.txt.unit.pid"]
    try:
        deadline = time.monotonic() + 20
        while not all(p.exists() and p.read_text().strip() for p in pids):
            assert time.monotonic() < deadline, "the stand-in steps never started"
            time.sleep(0.05)
        hung = [int(p.read_text()) for p in pids]
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # Ctrl-C reaches the terminal's whole foreground group
        else:
            proc.send_signal(sig)
        assert proc.wait(timeout=20) == (130 if sig == signal.SIGINT else 143)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in hung):  # what each lane started went with it
            assert time.monotonic() < deadline, f"a process a lane started outlived make test: {hung}"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for p in pids:
            if p.exists() and p.read_text().strip():
                _kill_quietly(int(p.read_text()))
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
