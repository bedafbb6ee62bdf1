"""`make test` from a fresh clone (issue 22: under ~4 minutes on two cores), and what pytest-xdist saves
in its unit step.

Group `make-test`, the longest of `make bench` (about a quarter of an hour: `make test`, the unit step
twice and `make install`; alone: `python -m bench --only make-test`). The clone is of the committed
HEAD (`git clone`: uncommitted changes are not measured) in a scratch folder; its `make install` uses
the machine's uv and npm caches, as a developer's second clone would (the cold download is the
`install` group's row). The clone runs with its own tools: nothing of this checkout's .venv or
node_modules is on its PATH.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Goal, Result, Target
from bench.workflow import run_timed
from hidream_contract.project import ROOT

MAKE_TEST_TARGET = Target(Goal.VALUE_AT_MOST, 240.0)  # seconds: "under ~4 minutes on two cores"
XDIST_TARGET = Target(Goal.RATIO_AT_MOST, 1.0)  # the workers must pay for themselves


@dataclass(frozen=True)
class MakeTestSizes:
    rounds: int = 1  # one round is ~15 minutes: make test, make install, the unit step twice
    make_test: tuple[str, ...] = ("make", "test")
    install: tuple[str, ...] = ("make", "install")
    unit: tuple[str, ...] = ("scripts/unit",)  # cores + 1 workers (scripts/unit's default)
    unit_serial: tuple[str, ...] = ("scripts/unit", "-n", "0")


QUICK_MAKE_TEST_SIZES = MakeTestSizes(
    make_test=("git", "status", "--short"),
    install=("git", "log", "-1", "--oneline"),
    unit=("git", "rev-parse", "HEAD"),
    unit_serial=("git", "rev-parse", "HEAD"),
)


def fresh_clone(into: Path, source: Path = ROOT) -> Path:
    """A clone of `source`'s committed HEAD at `into`, sharing no files with it."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(source), str(into)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return into


def clone_env(source: Path = ROOT) -> dict[str, str]:
    """The environment a fresh clone runs in: the caller's, without this checkout's tools or mock."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "MOCK_BASE_URL", "PYTEST_ADDOPTS", "PYTHONPATH"):
        env.pop(name, None)
    paths = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(p for p in paths if p and not Path(p).resolve().is_relative_to(source))
    return env


def make_test(sizes: MakeTestSizes) -> list[Result]:
    env = clone_env()
    total: list[float] = []
    install: list[float] = []
    parallel: list[float] = []
    serial: list[float] = []
    for _ in range(sizes.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-make-test-") as tmp:
            clone = fresh_clone(Path(tmp) / "kit")
            total.append(run_timed([*sizes.make_test], env=env, what="make test in a fresh clone", cwd=clone))
            parallel.append(run_timed([*sizes.unit], env=env, what="the unit step, on every core", cwd=clone))
            serial.append(run_timed([*sizes.unit_serial], env=env, what="the unit step, -n 0", cwd=clone))
            other = fresh_clone(Path(tmp) / "floor")
            what = "make install in a fresh clone"
            install.append(run_timed([*sizes.install], env=env, what=what, cwd=other))
    return [
        Result(
            "make test from a fresh clone",
            f"`{' '.join(sizes.make_test)}` in a new clone (install with warm caches included)",
            f"`{' '.join(sizes.install)}` alone in another new clone: what every run pays first",
            "s",
            tuple(total),
            tuple(install),
            target=MAKE_TEST_TARGET,
            key="make-test",
        ),
        Result(
            "the unit step on all cores (pytest-xdist)",
            f"`{' '.join(sizes.unit)}` (pytest-xdist, cores + 1 workers)",
            f"`{' '.join(sizes.unit_serial)}`, one process",
            "s",
            tuple(parallel),
            tuple(serial),
            target=XDIST_TARGET,
            key="unit-xdist",
        ),
    ]
