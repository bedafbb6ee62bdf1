"""The interop matrix's share of `make test`: its local rows (Python and Node) against the bare
generators they wrap, so the cost of building and driving every client is a number, not a guess."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.measure import Goal, Result, Target, interleave
from hidream_contract.interop.matrix import run_matrix, select
from hidream_contract.interop.targets import generate_batch
from hidream_contract.openapi30 import RENDITION_PATH
from hidream_contract.spec import SPEC_PATH

# make test takes about 3 minutes without the matrix; at most 60 s keeps the matrix well short of
# doubling it (issue 11).
INTEROP_TARGET = Target(Goal.VALUE_AT_MOST, 60.0)


class InteropBenchError(RuntimeError):
    """A row of the matrix was red while being measured: its time would mean nothing."""


def interop_local(rounds: int) -> Result:
    targets = select(local_only=True)
    with tempfile.TemporaryDirectory(prefix="bench-interop-") as tmp:
        root = Path(tmp)

        def matrix() -> float:
            start = time.perf_counter()
            rows = run_matrix(targets, out=root / "matrix")
            elapsed = time.perf_counter() - start
            red = [row.target.key for row in rows if not row.ok]
            if red:
                raise InteropBenchError(f"interop rows red while measured: {red} (see build/interop logs)")
            return elapsed

        def generators() -> float:
            out = root / "bare"
            shutil.rmtree(out, ignore_errors=True)
            for target in targets:
                (out / target.key).mkdir(parents=True)
            start = time.perf_counter()
            generate_batch([t for t in targets if t.generator], SPEC_PATH, out, out / "generator.log")
            for target in targets:
                if not target.generator:
                    spec = RENDITION_PATH if target.reads_30_only else SPEC_PATH  # as the matrix gives it
                    target.generate(spec, out / target.key, out / target.key / "log.txt")
            return time.perf_counter() - start

        subject_s, baseline_s = interleave(matrix, generators, rounds=rounds, warmup=False)
    return Result(
        "interop matrix, local rows (wall time)",
        f"{len(targets)} clients generated, built, driven offline and via Prism (as make test)",
        "the same generators alone",
        "s",
        subject_s,
        baseline_s,
        target=INTEROP_TARGET,
        note="the rest of make test takes about 180 s",
        key="interop",
    )
