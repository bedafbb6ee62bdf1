"""Read the two specs to compare: a file, or the spec as committed at a git ref."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from hidream_contract.project import ROOT

Spec = dict[str, Any]


class CompatError(Exception):
    """The gate could not run (exit 2); the message says what is missing or wrong."""


def parse_spec(text: str, origin: str) -> Spec:
    """The spec in `text` (YAML or JSON), validated as OpenAPI; `origin` names it in errors."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CompatError(f"{origin} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict) or "openapi" not in loaded:
        raise CompatError(f"{origin} is not an OpenAPI document (no top-level 'openapi' field)")
    try:
        validate(loaded)
    except OpenAPIValidationError as exc:
        first_line = str(exc.message).splitlines()[0]
        raise CompatError(f"{origin} is not a valid OpenAPI document: {first_line}") from None
    return loaded


def load_file(path: Path) -> Spec:
    if not path.is_file():
        raise CompatError(f"no spec file at {path}")
    return parse_spec(path.read_text(encoding="utf-8"), str(path))


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CompatError("git is not installed; pass BASE as a spec file instead of a git ref") from None


def _is_ref(repo: Path, ref: str) -> bool:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def default_base(repo: Path) -> str:
    """The merge base of HEAD with `main` (or `origin/main`, as CI checkouts have it)."""
    if _git(repo, "rev-parse", "--git-dir").returncode != 0:
        raise CompatError(f"{repo} is not a git checkout; pass BASE as a spec file")
    branch = next((name for name in ("main", "origin/main") if _is_ref(repo, name)), None)
    if branch is None:
        raise CompatError(
            "there is no 'main' (nor 'origin/main') branch to find the merge base with; "
            "pass BASE explicitly: make compat BASE=<git ref or spec file>"
        )
    found = _git(repo, "merge-base", "HEAD", branch)
    if found.returncode != 0:
        shallow = _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = (
            "this clone is shallow: fetch the history (git fetch --unshallow) or pass BASE"
            if shallow
            else "HEAD and main share no history; pass BASE"
        )
        raise CompatError(f"no merge base of HEAD and {branch}: {hint}")
    return found.stdout.strip()


def load_at_ref(repo: Path, ref: str, spec: Path) -> Spec:
    """The spec file `spec` (a path in the work tree of `repo`) as it is at git ref `ref`."""
    if not _is_ref(repo, ref):
        raise CompatError(f"'{ref}' is neither a spec file nor a git ref known in {repo}")
    top = Path(_git(repo, "rev-parse", "--show-toplevel").stdout.strip())
    relative = spec.resolve().relative_to(top.resolve()).as_posix()
    shown = _git(repo, "show", f"{ref}:{relative}")
    if shown.returncode != 0:
        raise CompatError(f"there is no {relative} at {ref}: nothing to compare the working spec with")
    return parse_spec(shown.stdout, f"{relative} at {ref}")


def load_base(repo: Path, base: str | None, spec: Path) -> tuple[Spec, str]:
    """The old spec and a label for it: BASE may be a spec file or a git ref (default: the merge base)."""
    if base and Path(base).is_file():
        return load_file(Path(base)), base
    ref = base or default_base(repo)
    label = ref if base else f"{ref[:12]} (merge base with main)"
    return load_at_ref(repo, ref, spec), label


def file_at_ref(repo: Path, ref: str | None, path: Path) -> str | None:
    """The text at git ref `ref` of `repo` of the file `path` names in this project (its path relative to
    the project's root), or None (no ref, no such file)."""
    if not ref or not _is_ref(repo, ref):
        return None
    try:
        relative = path.resolve().relative_to(ROOT.resolve()).as_posix()
    except ValueError:
        return None
    shown = _git(repo, "show", f"{ref}:{relative}")
    return shown.stdout if shown.returncode == 0 else None


def base_ref(repo: Path, base: str | None) -> str | None:
    """The git ref BASE names (the merge base by default), or None when BASE is a spec file or unknown."""
    if base and Path(base).is_file():
        return None
    try:
        return base or default_base(repo)
    except CompatError:
        return None
