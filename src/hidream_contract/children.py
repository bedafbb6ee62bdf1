"""Run a server as a child process for the length of a `with` block.

The child prints one `KEY=value` line once it serves, and serves until its stdin closes. Closing
stdin is how we stop it, and it also happens when this Python process dies, so no server outlives
a crashed run. The child runs in a session of its own: Ctrl-C reaches us, and we stop it in order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


class ChildStartError(RuntimeError):
    """The child did not print its ready line; the message carries its exit status and stderr."""


@contextmanager
def serving_child(
    argv: Sequence[str], *, ready_key: str, cwd: Path, error: type[ChildStartError] = ChildStartError
) -> Iterator[str]:
    """Start `argv`, wait for its `ready_key=value` line, yield the value; always stop the child.
    A child that exits or prints something else first raises `error` with its stderr."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # printed only once the child serves
            if not line.startswith(f"{ready_key}="):
                proc.kill()
                proc.wait(timeout=STARTUP_TIMEOUT_S)
                errors.seek(0)
                raise error(f"{argv[0]} did not start (exit {proc.returncode}):\n{errors.read()}")
            yield line.strip().split("=", 1)[1]
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # scripts/mock's trap stops Prism's group on TERM too
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
    if proc.stdout is not None:
        proc.stdout.close()
