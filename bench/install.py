"""Installing the dev environment from uv.lock: cold (empty pip and uv caches) against warm (caches
filled by the cold run), and the second run of scripts/install that its fingerprint turns into a no-op.

Each round installs into throwaway venvs (`VENV=… scripts/install --python-only`, exactly what
`make install` runs for Python) with private caches, so the project's .venv and the user's caches are
never touched. A cold round downloads every locked file from PyPI: its figure is mostly the network.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Goal, Result, Target
from bench.workflow import run_timed
from hidream_contract.project import ROOT, SCRIPTS

NOOP_TARGET = Target(Goal.VALUE_AT_MOST, 1.0)  # seconds for a second `scripts/install`: nothing to do


@dataclass(frozen=True)
class InstallSizes:
    rounds: int = 2  # ~20 s a round here (one cold download of the lock, ~180 MiB)


QUICK_INSTALL_SIZES = InstallSizes(rounds=1)


def _env(venv: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_CACHE_DIR", "PIP_CACHE_DIR"):
        env.pop(name, None)
    env.update(VENV=str(venv), UV_CACHE_DIR=str(cache / "uv"), PIP_CACHE_DIR=str(cache / "pip"))
    return env


def _install(venv: Path, cache: Path, what: str) -> float:
    return run_timed([str(SCRIPTS / "install"), "--python-only"], env=_env(venv, cache), what=what, cwd=ROOT)


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def install_times(sizes: InstallSizes) -> list[Result]:
    cold: list[float] = []
    warm: list[float] = []
    noop: list[float] = []
    cache_mb = 0.0
    for _ in range(sizes.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
            scratch = Path(tmp)
            cache = scratch / "cache"
            # The order is the point: warm needs the cache the cold run filled; no interleaving here.
            cold.append(_install(scratch / "cold", cache, "cold install"))
            cache_mb = _size_mb(cache)
            shutil.rmtree(scratch / "cold")
            warm.append(_install(scratch / "warm", cache, "warm install"))
            noop.append(_install(scratch / "warm", cache, "second scripts/install"))
    return [
        Result(
            "dev install from uv.lock, cold vs warm",
            "scripts/install --python-only, empty pip and uv caches (downloads from PyPI)",
            "the same into a new venv, caches filled by the cold run",
            "s",
            tuple(cold),
            tuple(warm),
            note="cold/warm is the ratio; mostly download time",
            extra={"cache": f"{cache_mb:.0f} MiB"},
            key="install-cold-warm",
        ),
        Result(
            "scripts/install again, nothing changed",
            "second run on the warm venv (fingerprint matches)",
            "the warm install",
            "s",
            tuple(noop),
            tuple(warm),
            target=NOOP_TARGET,
            key="install-noop",
        ),
    ]
