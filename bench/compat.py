"""The compat gate's verdict time (`make compat`: four judges) against oasdiff alone on the same pair.

The pair is this repository's own 1.0.0 → 1.1.0 change (from git history; the working spec and a
copy with the submit's operationId renamed when the history is not here). Each round judges a new
spec the gate has not seen (its description carries the round number), so the new side's Python
client and TypeScript types are generated afresh, as after an edit; the base's are cached, as they are
from the second run on a developer's machine.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.measure import Goal, Result, Target, interleave
from hidream_contract.compat import oasdiff
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH, SUBMIT_ID, load

# Issue 21: "one verdict in a few seconds on two cores".
GATE_TARGET = Target(Goal.VALUE_AT_MOST, 10.0)


class CompatBenchError(RuntimeError):
    """The gate did not give a verdict while measured: its time would mean nothing."""


def _at_version(version: str) -> dict[str, Any] | None:
    relative = SPEC_PATH.relative_to(ROOT).as_posix()
    log = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--format=%H", "--reverse", "--", relative],
        capture_output=True,
        text=True,
        check=False,
    )
    found = None
    for commit in log.stdout.split():
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:{relative}"],
            capture_output=True,
            text=True,
            check=False,
        )
        spec = yaml.safe_load(shown.stdout) if shown.returncode == 0 else None
        if isinstance(spec, dict) and str(spec["info"]["version"]) == version:
            found = spec
        elif found is not None:
            break
    return found


def _pair() -> tuple[dict[str, Any], dict[str, Any], str]:
    old, new = _at_version("1.0.0"), _at_version("1.1.0")
    if old is not None and new is not None:
        return old, new, "this repo's 1.0.0 → 1.1.0"
    old = load()
    new = copy.deepcopy(old)
    for item in new["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == SUBMIT_ID:
                operation["operationId"] = "createUpscaleTask"
    return old, new, "the working spec → its submit's operationId renamed"


def _write(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def compat_gate(rounds: int) -> Result:
    old_spec, new_spec, label = _pair()
    with tempfile.TemporaryDirectory(prefix="bench-compat-") as tmp:
        root = Path(tmp)
        old = _write(root / "old.yaml", old_spec)
        counter = iter(range(10_000))

        def gate() -> float:
            edited = copy.deepcopy(new_spec)
            edited["info"]["description"] = (
                f"{edited['info'].get('description', '')} (bench round {next(counter)})"
            )
            new = _write(root / "new.yaml", edited)
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    *("-m", "hidream_contract.compat", str(old)),
                    *("--spec", str(new), "--report", str(root / "report.md")),
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=ROOT,
                env=os.environ,
            )
            elapsed = time.perf_counter() - start
            if done.returncode not in (0, 1):
                raise CompatBenchError(
                    f"make compat gave no verdict (exit {done.returncode}): {done.stderr[-400:]}"
                )
            return elapsed

        def oasdiff_alone() -> float:
            new = root / "new.yaml"
            start = time.perf_counter()
            subprocess.run(
                [str(oasdiff.binary()), "breaking", str(old), str(new)], capture_output=True, check=False
            )
            return time.perf_counter() - start

        subject_s, baseline_s = interleave(gate, oasdiff_alone, rounds=rounds, warmup=True)
    return Result(
        "compat gate, one verdict (wall time)",
        "make compat's four judges (wire, then oasdiff, Python SDK by griffe, TypeScript side by side)",
        "oasdiff breaking alone",
        "s",
        subject_s,
        baseline_s,
        target=GATE_TARGET,
        note=f"{label}; the new spec unseen each round, the base's generated clients cached",
        key="compat",
    )
