"""The oasdiff judge: the field's standard rule set (`oasdiff changelog`), its findings with their ids.

oasdiff is a Go program, pinned and installed by `make install` into .tools/bin (scripts/install,
`go install github.com/oasdiff/oasdiff@OASDIFF_VERSION` from the Go module proxy). Its checks keep
their default levels, except those an SDK team raises to errors (`SDK_LEVELS`): changes that leave
the wire alone but rename or remove what generated clients are made of.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from hidream_contract.compat.judges import Finding, JudgeError, JudgeReport
from hidream_contract.project import ROOT

OASDIFF_VERSION = "1.39.0"
"""The pinned release (scripts/install reads this line with sed, or `python -m
hidream_contract.compat.oasdiff version`)."""
TITLE = f"oasdiff {OASDIFF_VERSION} (changelog checks, SDK checks as errors)"
LEVELS = {3: "error", 2: "warning", 1: "info"}
SDK_LEVELS: dict[str, str] = {
    # The generated method and module are named from it (openapi-python-client:
    # api/<tag>/<operation_id>.py; every other generator's method name).
    "api-operation-id-removed": "err",
    # openapi-python-client puts an operation's module under api/<first tag>/.
    "api-tag-removed": "err",
    # A generated model class disappears.
    "api-schema-removed": "err",
    # A generated argument loses its default: every call that left it out now fails.
    "request-parameter-default-value-removed": "err",
    "request-property-default-value-removed": "err",
    "request-body-default-value-removed": "err",
}
"""oasdiff reports these at `info` by default (its former "optional checks"); for SDK users they break."""


def binary() -> Path:
    """The pinned oasdiff: $OASDIFF, else .tools/bin/oasdiff (make install puts it there)."""
    found = Path(os.environ.get("OASDIFF", ROOT / ".tools" / "bin" / "oasdiff"))
    if not found.is_file():
        on_path = shutil.which("oasdiff")
        hint = f" (one is on PATH at {on_path}, but the gate only trusts the pinned one)" if on_path else ""
        raise JudgeError(f"oasdiff is not installed at {found}: run make install{hint}")
    return found


def levels_file(directory: Path) -> Path:
    path = directory / "oasdiff-levels.txt"
    path.write_text("".join(f"{check} {level}\n" for check, level in SDK_LEVELS.items()), encoding="utf-8")
    return path


def judge(old: Path, new: Path, work: Path) -> JudgeReport:
    """oasdiff's changelog of old → new: errors break, warnings are reported, infos are counted."""
    argv = [
        str(binary()),
        "changelog",
        str(old),
        str(new),
        "--format",
        "json",
        "--severity-levels",
        str(levels_file(work)),
        # A one-member `allOf` is how the spec shares a component beside a default (X-accept-language's
        # values): merged first, it reads as the schema written out, as the other judges read it.
        "--flatten-allof",
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise JudgeError(f"oasdiff did not run: {error}") from None
    if done.returncode != 0:
        raise JudgeError(f"oasdiff failed (exit {done.returncode}): {done.stderr.strip()[:500]}")
    try:
        changes = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        raise JudgeError(f"oasdiff printed no JSON: {done.stdout[:200]!r}") from None
    report = JudgeReport("oasdiff", TITLE)
    infos = 0
    for change in changes:
        level = LEVELS.get(int(change.get("level", 1)), "info")
        if level == "info":
            infos += 1
            continue
        where = " ".join(str(change[k]) for k in ("operation", "path") if change.get(k)) or str(
            change.get("section", "")
        )
        report.findings.append(Finding(level, str(change["id"]), str(change["text"]), where))
    report.note = f"{len(changes)} change(s) found, {infos} at level info (not listed)"
    return report


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["version"]:
        print("usage: python -m hidream_contract.compat.oasdiff version", file=sys.stderr)
        raise SystemExit(2)
    print(OASDIFF_VERSION)
