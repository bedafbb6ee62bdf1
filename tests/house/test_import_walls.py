"""The import walls in config/importlinter.toml hold, and lint-imports does break when one is crossed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hidream_contract.project import CONFIG, ROOT

PACKAGES = {
    "hidream": ROOT / "src" / "hidream",
    "hidream_contract": ROOT / "src" / "hidream_contract",
    "hidream_api_client": ROOT / "generated_client" / "hidream_api_client",
    "bench": ROOT / "bench",
    "tests": ROOT / "tests",
}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "lint-imports"),
            "--config",
            str(CONFIG / "importlinter.toml"),
            "--no-cache",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_packages(into: Path) -> None:
    for name, source in PACKAGES.items():
        shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))


def test_the_walls_hold_in_this_tree(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    ran = lint_imports(tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "0 broken" in ran.stdout


def test_the_client_importing_the_tooling_is_caught(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    (tmp_path / "hidream" / "_crossing.py").write_text("import hidream_contract.spec\n", encoding="utf-8")
    ran = lint_imports(tmp_path)
    assert ran.returncode == 1
    assert "The client never imports the tooling or the benchmarks BROKEN" in ran.stdout
    assert "hidream._crossing -> hidream_contract.spec" in ran.stdout


def test_the_tooling_importing_a_test_double_is_caught(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    (tmp_path / "hidream_contract" / "_crossing.py").write_text(
        "from tests.doubles import http\n", encoding="utf-8"
    )
    ran = lint_imports(tmp_path)
    assert ran.returncode == 1
    assert "No package imports a test folder (tests hold tests and test doubles only) BROKEN" in ran.stdout
