"""Reading uv.lock, the dev environment's lock (`make lock` writes it; scripts/install installs from it).

Standard library only: scripts/install runs this before .venv exists, with any Python 3.11+, as
`PYTHONPATH=src python -m hidream_contract.lockfile pin uv` — the one package it installs itself
(with pip, checking the hashes) before uv installs everything else from the lock.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hidream_contract.project import ROOT

LOCK_PATH = ROOT / "uv.lock"


class LockError(ValueError):
    """uv.lock is missing, unreadable, or has no usable entry for the package asked for."""


@dataclass(frozen=True)
class Locked:
    name: str
    version: str
    hashes: tuple[str, ...]  # "sha256:…" of every file the lock lists (sdist and wheels)

    def requirement(self) -> str:
        """A pip requirement line that installs exactly this file set (`pip install --require-hashes`)."""
        return " ".join([f"{self.name}=={self.version}", *(f"--hash={h}" for h in self.hashes)])


def normalise(name: str) -> str:
    """A distribution name as package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _entries(lock: Path) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LockError(f"cannot read {lock}: {exc}") from exc
    entries: list[dict[str, Any]] = data.get("package", [])
    return entries


def packages(lock: Path = LOCK_PATH) -> dict[str, list[Locked]]:
    """Every registry package of the lock, by normalised name (a universal lock may hold two versions
    of one package, each for its own Python versions or platforms)."""
    found: dict[str, list[Locked]] = {}
    for entry in _entries(lock):
        if "registry" not in entry.get("source", {}):
            continue  # the project itself (editable) has no version or files in the lock
        files = [*entry.get("wheels", []), *([entry["sdist"]] if "sdist" in entry else [])]
        hashes = tuple(f["hash"] for f in files if "hash" in f)
        name = normalise(entry["name"])
        found.setdefault(name, []).append(Locked(name, entry["version"], hashes))
    return found


def pin(name: str, lock: Path = LOCK_PATH) -> Locked:
    """The locked version and file hashes of one package."""
    entries = packages(lock).get(normalise(name), [])
    if not entries:
        raise LockError(
            f"{lock} does not lock {name!r}; add it to pyproject.toml's dev list and run make lock"
        )
    if len(entries) > 1:
        raise LockError(f"{lock} locks {name!r} at several versions: {', '.join(e.version for e in entries)}")
    entry = entries[0]
    if not entry.hashes:
        raise LockError(f"{lock} lists no file hashes for {name!r}")
    return entry


def closure(lock: Path = LOCK_PATH, *, groups: bool) -> set[str]:
    """The names the project needs: its runtime dependencies, transitively, and with `groups` its
    dependency groups' (the dev environment) too. Markers are ignored: a name counts if any platform
    needs it."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in _entries(lock):
        entries.setdefault(normalise(entry["name"]), []).append(entry)
    roots = [e for found in entries.values() for e in found if "editable" in e.get("source", {})]
    if len(roots) != 1:
        raise LockError(f"{lock}: expected one editable project, found {len(roots)}")
    root = roots[0]
    wanted = list(root.get("dependencies", []))
    if groups:
        wanted += [dep for group in root.get("dev-dependencies", {}).values() for dep in group]
    visited: set[tuple[str, str]] = set()  # (name, "") for the package, (name, extra) for each extra
    while wanted:
        dep = wanted.pop()
        name = normalise(dep["name"])
        for extra in ["", *dep.get("extra", [])]:
            if (name, extra) in visited:
                continue
            visited.add((name, extra))
            for entry in entries.get(name, []):
                if extra:
                    wanted += entry.get("optional-dependencies", {}).get(extra, [])
                else:
                    wanted += entry.get("dependencies", [])
    return {name for name, _ in visited}


def main(argv: list[str]) -> int:
    """`python -m hidream_contract.lockfile pin NAME`: print NAME's pip requirement line with hashes."""
    if len(argv) != 2 or argv[0] != "pin":
        print("usage: python -m hidream_contract.lockfile pin NAME", file=sys.stderr)
        return 2
    try:
        print(pin(argv[1]).requirement())
    except LockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
