"""The import walls in config/importlinter.toml hold, and lint-imports does break when one is crossed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hidream_contract.project import CONFIG, ROOT

pytestmark = pytest.mark.slow  # each test runs lint-imports on a copy of the packages

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


def contract_named_by(contract_type: str) -> str:
    """The name config/importlinter.toml gives its contract of this type (the one the report prints)."""
    config = tomllib.loads((CONFIG / "importlinter.toml").read_text(encoding="utf-8"))
    (name,) = [c["name"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == contract_type]
    assert isinstance(name, str)
    return name


def report_of(ran: subprocess.CompletedProcess[str], contract: str) -> str:
    """The part of lint-imports' report under the contract's own heading in "Broken contracts"
    (empty when it is kept). The report wraps long lines, so it is read without line breaks."""
    flat = " ".join(ran.stdout.split())
    _, _, broken = flat.partition("Broken contracts")
    _, found, after = broken.partition(" ".join(contract.split()))
    if not found:
        return ""
    parts = re.split(r"(?:\s*-{5,}\s*)+", after)  # the heading's rule, its body, the next heading's rule...
    return parts[1] if len(parts) > 1 else ""


def test_an_import_circle_is_caught_in_any_package(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    bench = tmp_path / "bench"
    (bench / "loop_a.py").write_text("import bench.loop_b\n", encoding="utf-8")
    (bench / "loop_b.py").write_text("from bench import payloads\nimport bench.loop_a\n", encoding="utf-8")
    ran = lint_imports(tmp_path)
    assert ran.returncode == 1
    name = contract_named_by("acyclic_siblings")
    assert f"{' '.join(name.split())} BROKEN" in " ".join(ran.stdout.split())
    report = report_of(ran, name)
    assert "No cycles are allowed in bench." in report
    assert ".loop_a -> .loop_b" in report or ".loop_b -> .loop_a" in report


def test_a_circle_deep_inside_a_package_is_caught(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    compat = tmp_path / "hidream_contract" / "compat"
    (compat / "deep_a.py").write_text("from hidream_contract.compat import deep_b\n", encoding="utf-8")
    (compat / "deep_b.py").write_text("from hidream_contract.compat import deep_a\n", encoding="utf-8")
    report = report_of(lint_imports(tmp_path), contract_named_by("acyclic_siblings"))
    assert "No cycles are allowed in hidream_contract.compat." in report


def test_a_private_module_imported_from_outside_its_package_is_caught(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    (tmp_path / "hidream_contract" / "crossing.py").write_text("import hidream._secret\n", encoding="utf-8")
    ran = lint_imports(tmp_path)
    assert ran.returncode == 1
    report = report_of(ran, contract_named_by("private_modules"))
    assert "hidream_contract.crossing -> hidream._secret" in report


def test_tests_may_import_private_modules_and_packages_their_own(tmp_path: Path) -> None:
    """The exemptions the private-modules wall makes on purpose: a test double reaching into the
    client's internals, and a package importing its own private module."""
    copy_packages(tmp_path)
    (tmp_path / "tests" / "doubles" / "inside.py").write_text("import hidream._secret\n", encoding="utf-8")
    (tmp_path / "hidream_contract" / "_own.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "hidream_contract" / "user.py").write_text("from hidream_contract import _own\n", "utf-8")
    (tmp_path / "bench" / "crossing.py").write_text("import hidream._secret\n", encoding="utf-8")  # caught
    report = report_of(lint_imports(tmp_path), contract_named_by("private_modules"))
    assert "bench.crossing -> hidream._secret" in report
    assert "tests.doubles.inside" not in report
    assert "hidream_contract.user" not in report
