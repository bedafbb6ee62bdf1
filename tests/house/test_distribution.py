"""The installable client: one wheel with both packages, its version from the spec, the dev lock kept
fresh. (`make dist` installs the built wheel in a fresh venv and runs it against Prism: scripts/dist.)"""

from __future__ import annotations

import email.parser
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

import hidream
from hidream._version import DISTRIBUTION
from hidream_contract import distribution, lockfile
from hidream_contract.distribution import DistributionError
from hidream_contract.lockfile import LockError
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH

UV = ROOT / ".venv" / "bin" / "uv"
PYPROJECT = ROOT / "pyproject.toml"


def pyproject(path: Path = PYPROJECT) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def hook_spec(project: dict[str, Any]) -> str:
    spec: str = project["tool"]["hatch"]["metadata"]["hooks"]["custom"]["spec"]
    return spec


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    return subprocess.run(
        [str(UV), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def build_wheel(project: Path, out: Path) -> Path:
    """hatchling from .venv (locked), no network: what `uv build` does after making the sdist."""
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    return wheel


def wheel_metadata(wheel: Path) -> tuple[list[str], Any]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return names, email.parser.Parser().parsestr(archive.read(meta).decode("utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


# --- one version: the spec's ---------------------------------------------------------------------


def test_the_installed_version_is_the_spec_version() -> None:
    spec_version = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["info"]["version"]
    assert distribution.version() == spec_version
    assert importlib.metadata.version(DISTRIBUTION) == spec_version, "stale .venv: run make install"
    assert hidream.__version__ == spec_version
    assert pyproject()["project"]["name"] == DISTRIBUTION
    assert "version" not in pyproject()["project"]  # no second number kept by hand
    assert pyproject()["project"]["dynamic"] == ["version"]


def test_the_version_hook_reads_the_spec_the_tooling_reads() -> None:
    project = pyproject()
    assert ROOT / hook_spec(project) == SPEC_PATH
    sdist = project["tool"]["hatch"]["build"]["targets"]["sdist"]["only-include"]
    assert any(Path(hook_spec(project)).is_relative_to(entry) for entry in sdist), "the sdist lacks the spec"


def minimal_project(tmp_path: Path, version: Any) -> Path:
    """What the sdist holds, with the spec's info.version set to `version`."""
    copy = tmp_path / "project"
    project = pyproject()
    for part in project["tool"]["hatch"]["build"]["targets"]["sdist"]["only-include"]:
        source = ROOT / part
        target = copy / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    shutil.copy2(PYPROJECT, copy / "pyproject.toml")
    spec_file = copy / hook_spec(project)
    document = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    document["info"]["version"] = version
    spec_file.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


@pytest.mark.slow
def test_the_wheel_version_follows_the_spec(tmp_path: Path) -> None:
    wheel = build_wheel(minimal_project(tmp_path, "9.8.7"), tmp_path / "dist")
    _, meta = wheel_metadata(wheel)
    assert meta["Version"] == "9.8.7"
    assert wheel.name.startswith("hidream_client-9.8.7-")


@pytest.mark.slow
@pytest.mark.parametrize("bad", [1.5, None])
def test_a_spec_without_a_version_string_fails_the_build(tmp_path: Path, bad: Any) -> None:
    project = minimal_project(tmp_path, bad)
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "no info.version string" in done.stdout + done.stderr


# --- the wheel -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_wheel_ships_both_packages_typed_and_no_tooling(wheel: Path) -> None:
    names, meta = wheel_metadata(wheel)
    top = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top == set(distribution.SHIPPED)
    for package in distribution.SHIPPED:
        assert f"{package}/py.typed" in names
    shipped_hidream = {n.removeprefix("hidream/") for n in names if n.startswith("hidream/")}
    source = {p.name for p in (ROOT / "src" / "hidream").iterdir() if p.suffix in (".py", ".typed")}
    assert shipped_hidream == source
    assert meta["Version"] == distribution.version()
    assert meta["Name"] == DISTRIBUTION


@pytest.mark.slow
def test_the_wheel_requires_the_runtime_dependencies_only(wheel: Path) -> None:
    _, meta = wheel_metadata(wheel)
    required = sorted(r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r)
    assert required == sorted(str(Requirement(r)) for r in pyproject()["project"]["dependencies"])
    # The dev tools are a dependency group, not an extra; the one extra is the simulator's ([sim]).
    assert meta.get_all("Provides-Extra") == ["sim"]
    extras = {
        Requirement(r).name.lower(): Requirement(r)
        for r in meta.get_all("Requires-Dist") or []
        if "extra ==" in r
    }
    for line in pyproject()["project"]["optional-dependencies"]["sim"]:
        wanted = Requirement(line)
        assert extras[wanted.name.lower()].specifier == wanted.specifier
        assert str(extras[wanted.name.lower()].marker) == 'extra == "sim"'
    assert {"hidream_sim/catalog.yaml", "hidream_sim/catalog.schema.json"} <= set(wheel_metadata(wheel)[0])
    names, _ = wheel_metadata(wheel)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        entry_text = archive.read(entry_points).decode()
    assert "hidream-upscale = hidream.cli:main" in entry_text
    assert "hidream-sim = hidream_sim.__main__:main" in entry_text
    assert "hidream_sim = hidream_sim.pytest_plugin" in entry_text


def test_the_runtime_dependencies_cover_the_generated_clients() -> None:
    """generated_client/pyproject.toml is not what ships; its needs must still be met by ours."""
    ours = {Requirement(r).name: Requirement(r) for r in pyproject()["project"]["dependencies"]}
    generated = pyproject(ROOT / "generated_client" / "pyproject.toml")["project"]["dependencies"]
    locked = lockfile.packages()
    for text in generated:
        need = Requirement(text)
        assert need.name in ours, f"the generated client needs {need.name}; add it to [project] dependencies"
        (pinned,) = locked[lockfile.normalise(need.name)]
        version = Version(pinned.version)
        assert version in need.specifier, need
        assert version in ours[need.name].specifier, ours[need.name]


# --- the user's environment check (used by make dist) can fail ---------------------------------------


@pytest.mark.slow
def test_the_environment_check_rejects_the_dev_environment() -> None:
    problems = "\n".join(distribution.check_env(Path(sys.executable)))
    assert "hidream is imported from" in problems  # the editable source tree, not an installed wheel
    assert "hidream_contract is importable" in problems
    assert "dev-only packages are installed:" in problems
    assert "pytest" in problems


@pytest.mark.slow
def test_the_dev_only_packages_leave_the_runtime_alone() -> None:
    dev_only = distribution.dev_only_packages()
    runtime = lockfile.closure(groups=False)
    assert {"pytest", "schemathesis", "uv", "hatchling"} <= dev_only
    assert {"httpx", "httpcore", "attrs", "anyio"} <= runtime
    assert not dev_only & runtime


def test_the_smoke_files_are_the_readme_example_and_a_real_png(tmp_path: Path) -> None:
    distribution.write_smoke_files(tmp_path)
    example = (tmp_path / "readme_example.py").read_text(encoding="utf-8")
    assert example in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "photo.png" in example
    assert (tmp_path / "photo.png").read_bytes().startswith(distribution.PNG_MAGIC)


# --- release tags ------------------------------------------------------------------------------------


def test_a_release_tag_must_be_the_spec_version() -> None:
    distribution.check_tag(f"v{distribution.version()}")
    for tag in (distribution.version(), "v0.0.0", f"v{distribution.version()}.1"):
        with pytest.raises(DistributionError, match=r"does not match the spec's info\.version"):
            distribution.check_tag(tag)


def test_the_tag_check_command_exits_1_on_a_mismatch(capsys: pytest.CaptureFixture[str]) -> None:
    assert distribution.main(["check-tag", "v0.0.0"]) == 1
    assert f"expected 'v{distribution.version()}'" in capsys.readouterr().err
    assert distribution.main(["check-tag"]) == 2


# --- the lock ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_lock_is_fresh_against_pyproject() -> None:
    done = uv("lock", "--check", "--offline", cwd=ROOT)
    assert done.returncode == 0, f"uv.lock is stale: run make lock\n{done.stderr}"


def lock_project_copy(tmp_path: Path) -> Path:
    """The sdist's files (uv builds the project's metadata: its version) with pyproject.toml and uv.lock."""
    copy = minimal_project(tmp_path, distribution.version())
    shutil.copy2(ROOT / "uv.lock", copy / "uv.lock")
    return copy


def without_the_line(text: str, line_start: str) -> str:
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith(line_start)]
    assert len(kept) == len(lines) - 1, line_start
    return "".join(kept)


@pytest.mark.slow
@pytest.mark.parametrize("change", ["drop a dev tool", "widen a runtime range"])
def test_a_stale_lock_is_detected(tmp_path: Path, change: str) -> None:
    copy = lock_project_copy(tmp_path)
    text = (copy / "pyproject.toml").read_text(encoding="utf-8")
    if change == "drop a dev tool":
        text = without_the_line(text, '"pyinstrument==')
    else:
        anyio = next(r for r in pyproject()["project"]["dependencies"] if r.startswith("anyio"))
        text = text.replace(f'"{anyio}"', '"anyio>=4.4"')
    (copy / "pyproject.toml").write_text(text, encoding="utf-8")
    # Online (PyPI): a changed requirement makes uv build the project's metadata, in an isolated env.
    done = uv("lock", "--check", cwd=copy)
    assert done.returncode != 0
    assert "needs to be updated" in done.stderr
    assert uv("lock", "--check", "--offline", cwd=lock_project_copy(tmp_path / "fresh")).returncode == 0


@pytest.mark.slow
def test_the_lock_has_hashes_and_pins_the_dev_tools_exactly() -> None:
    dev = [Requirement(r) for r in pyproject()["dependency-groups"]["dev"]]
    locked = lockfile.packages()
    for need in dev:
        (pinned,) = locked[lockfile.normalise(need.name)]
        assert f"=={pinned.version}" == str(need.specifier), need
        assert pinned.hashes, need.name
        assert all(h.startswith("sha256:") for h in pinned.hashes), need.name
    assert re.fullmatch(r"uv==\S+( --hash=sha256:[0-9a-f]{64})+", lockfile.pin("uv").requirement())


def test_an_unlocked_package_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LockError, match=r"does not lock 'left-pad'.*make lock"):
        lockfile.pin("left-pad")
    broken = tmp_path / "uv.lock"
    broken.write_text("version = [", encoding="utf-8")
    with pytest.raises(LockError, match="cannot read"):
        lockfile.packages(broken)


# --- the changelog -----------------------------------------------------------------------------------


def test_the_spec_version_has_a_changelog_entry() -> None:
    """The release's notes: the compat gate's entry, pasted when info.version was bumped."""
    notes = distribution.release_notes(distribution.version())
    assert notes.startswith("### "), notes[:200]  # Added / Changed / Removed, as the gate writes them


def test_release_notes_are_one_entry_of_the_changelog(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(
        "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-12-01\n\n### Added\n\n- operation GET /x\n\n"
        "## [1.0.0] - 2026-11-24\n\n### Added\n\n- the first\n\n## [0.9.0] - 2026-11-01\n",
        encoding="utf-8",
    )
    assert distribution.release_notes("1.1.0", changelog) == "### Added\n\n- operation GET /x\n"
    assert distribution.release_notes("1.0.0", changelog) == "### Added\n\n- the first\n"
    with pytest.raises(DistributionError, match=r"no entry for 1\.2\.0: paste the one"):
        distribution.release_notes("1.2.0", changelog)
    with pytest.raises(DistributionError, match="is empty"):
        distribution.release_notes("0.9.0", changelog)
    with pytest.raises(DistributionError, match=r"no entry for 1\.1: "):  # not a prefix of 1.1.0
        distribution.release_notes("1.1", changelog)
