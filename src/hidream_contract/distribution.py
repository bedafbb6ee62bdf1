"""What `make dist` and the release need besides building: the version, the smoke test's files, checks.

Usage: python -m hidream_contract.distribution COMMAND
  version             print the spec's info.version (the packages' version too)
  check-tag vX.Y.Z    exit 1 unless the tag is "v" + that version
  smoke-files DIR     write the README's opening example, a PNG (photo.png) and typed user code
  check-env PYTHON    exit 1 unless that environment has the client, not the repo's, and no dev package
  notes VERSION       print CHANGELOG.md's entry for VERSION (the GitHub release's notes); exit 1 if none
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from hidream_contract import lockfile, spec
from hidream_contract.project import ROOT

README = ROOT / "README.md"
CHANGELOG = ROOT / "CHANGELOG.md"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The packages the wheel must give a user, and the tooling it must not.
SHIPPED = ("hidream", "hidream_api_client", "hidream_sim")  # hidream_sim: the simulator, for users' tests
NOT_SHIPPED = ("hidream_contract", "tests", "bench")
VENV_SEED = {"pip", "setuptools", "wheel"}  # what `python -m venv` itself installs

# User code a type checker must accept with --strict: it fails ("missing library stubs or py.typed
# marker") unless both installed packages carry py.typed.
TYPED_USE = '''\
"""A user's code: mypy --strict reads the installed packages' own types (py.typed)."""

from hidream import HiDream, UpscaleTask
from hidream_api_client.models import UpsaleRatio, UpscaleRequest


def submit(client: HiDream, path: str) -> UpscaleTask:
    return client.upscale.submit(image=path, upsale_ratio=4)


def first_id(task: UpscaleTask) -> str:
    return task.task_id


REQUEST: UpscaleRequest = UpscaleRequest(image="https://example.com/photo.png", upsale_ratio=UpsaleRatio.X2)
'''


class DistributionError(RuntimeError):
    """A release or smoke-test precondition does not hold; the message says which and what was found."""


def distribution_name() -> str:
    """The client's distribution name: pyproject.toml's [project] name."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        name: str = tomllib.load(file)["project"]["name"]
    return name


def version() -> str:
    """The spec's info.version: the one version of the spec, the packages and a release tag."""
    found = spec.load()["info"].get("version")
    if not isinstance(found, str) or not found:
        raise DistributionError(f"{spec.SPEC_PATH.name}: info.version is not a version string ({found!r})")
    return found


def check_tag(tag: str) -> None:
    expected = f"v{version()}"
    if tag != expected:
        raise DistributionError(
            f"tag {tag!r} does not match the spec's info.version: expected {expected!r}. "
            "Tag the commit whose spec carries the version you release."
        )


def release_notes(version: str, changelog: Path = CHANGELOG) -> str:
    """CHANGELOG.md's entry for `version`: what changed in the contract, in the compat gate's words."""
    text = changelog.read_text(encoding="utf-8")
    heading = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n", text, re.MULTILINE)
    if heading is None:
        raise DistributionError(
            f"{changelog.name} has no entry for {version}: paste the one from reports/compat-report.md "
            "(make compat) under a '## [" + version + "] - DATE' heading"
        )
    following = re.search(r"^## ", text[heading.end() :], re.MULTILINE)
    body = text[heading.end() : heading.end() + following.start() if following else len(text)].strip()
    if not body:
        raise DistributionError(f"{changelog.name}'s entry for {version} is empty")
    return body + "\n"


def opening_example(readme: Path = README) -> str:
    """The README's first python block: the example a new user runs first."""
    match = re.search(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.DOTALL)
    if match is None:
        raise DistributionError(f"{readme.name} has no python example")
    return match.group(1)


def sample_png() -> bytes:
    """A real image: the PNG of the spec's base64 request example."""
    for example in spec.request_examples().values():
        try:
            data = base64.b64decode(str(example.get("image", "")), validate=True)
        except (binascii.Error, ValueError):
            continue  # a URL example
        if data.startswith(PNG_MAGIC):
            return data
    raise DistributionError(f"{spec.SPEC_PATH.name} has no request example with a base64 PNG image")


def write_smoke_files(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "readme_example.py": opening_example(),
        "typed_use.py": TYPED_USE,
        "mypy.ini": "[mypy]\nstrict = True\ncache_dir = .mypy_cache\n",
    }
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    (out / "photo.png").write_bytes(sample_png())  # the README example's image="photo.png"
    written.append(out / "photo.png")
    return written


def dev_only_packages(lock: Path = lockfile.LOCK_PATH) -> set[str]:
    """Packages the dev environment has and the client's runtime does not (normalised names)."""
    return lockfile.closure(lock, groups=True) - lockfile.closure(lock, groups=False)


_PROBE = textwrap.dedent(
    """\
    import importlib.metadata, importlib.util, json, sys
    print(json.dumps({
        "installed": sorted(d.metadata["Name"] for d in importlib.metadata.distributions()),
        "version": importlib.metadata.version(sys.argv[1]),
        "origins": {name: getattr(importlib.util.find_spec(name), "origin", None) for name in sys.argv[2:]},
    }))
    """
)


def check_env(python: Path) -> list[str]:
    """Problems with a user's environment that installed the wheel (none: the list is empty)."""
    distribution = distribution_name()
    python = python.absolute()  # not resolved: a venv's python is a symlink to the base interpreter
    done = subprocess.run(
        [str(python), "-I", "-c", _PROBE, distribution, *SHIPPED, *NOT_SHIPPED],
        capture_output=True,
        text=True,
        check=False,
        cwd=python.parent,  # never the repo: -I also keeps the working directory off sys.path
    )
    if done.returncode != 0:
        return [f"{python} could not report its packages: {done.stderr.strip()[-500:]}"]
    found = json.loads(done.stdout)
    problems = []
    venv = python.parent.parent.resolve()
    for name in SHIPPED:
        origin = found["origins"][name]
        if origin is None:
            problems.append(f"{name} is not installed")
        elif not Path(origin).resolve().is_relative_to(venv):
            problems.append(f"{name} is imported from {origin}, not from the environment {venv}")
    problems += [
        f"{name} is importable: the wheel must not ship it" for name in NOT_SHIPPED if found["origins"][name]
    ]
    installed = {lockfile.normalise(name) for name in found["installed"]}
    if dev := sorted(installed & dev_only_packages() - VENV_SEED):
        problems.append(f"dev-only packages are installed: {', '.join(dev)}")
    if found["version"] != version():
        problems.append(f"{distribution} {found['version']} is installed, the spec says {version()}")
    return problems


def main(argv: list[str]) -> int:
    usage = __doc__ or ""
    try:
        match argv:
            case ["version"]:
                print(version())
            case ["check-tag", tag]:
                check_tag(tag)
                print(f"tag {tag} matches the spec's info.version")
            case ["smoke-files", out]:
                for path in write_smoke_files(Path(out)):
                    print(path)
            case ["notes", release]:
                print(release_notes(release), end="")
            case ["check-env", python]:
                problems = check_env(Path(python))
                for problem in problems:
                    print(f"error: {problem}", file=sys.stderr)
                return 1 if problems else 0
            case _:
                print(usage, file=sys.stderr)
                return 2
    except (DistributionError, lockfile.LockError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
