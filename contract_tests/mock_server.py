"""Start the Prism mock through scripts/mock for the length of a `with` block.

scripts/mock owns Prism's lifecycle (free port, readiness probe, process-group cleanup); this
module only reads the URL it prints and closes its stdin, which tells it to stop. Closing stdin
also happens when this Python process dies, so no Prism outlives a crashed test run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contract_tests.paths import ROOT, SCRIPTS, SPEC

STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


class MockStartError(RuntimeError):
    """Prism did not come up; the message carries what scripts/mock said, its log included."""


@contextmanager
def running_mock(spec: Path = SPEC) -> Iterator[str]:
    """Serve `spec` with Prism and yield its base URL (no trailing slash)."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(
            [str(SCRIPTS / "mock"), "--serve", str(spec)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,  # Ctrl-C reaches pytest, which then stops the mock in order
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # scripts/mock prints it only once Prism answers
            if not line.startswith("MOCK_BASE_URL="):
                proc.wait(timeout=STARTUP_TIMEOUT_S)
                errors.seek(0)
                raise MockStartError(f"scripts/mock failed (exit {proc.returncode}):\n{errors.read()}")
            yield line.strip().split("=", 1)[1]
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT_S)
    if proc.stdout is not None:
        proc.stdout.close()
