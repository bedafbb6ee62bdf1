"""The gate's judges beside the wire judge, and their common shape: one verdict each, in its own words.

- `oasdiff` (oasdiff.py): the field's standard rule set, with the checks an SDK team turns on raised
  to errors;
- `python-sdk` (sdk.py): the Python client generated from each spec, public APIs compared by griffe;
- `typescript` (sdk.py): the TypeScript consumer compiled against the types of each spec.

Each judge runs as a subprocess or in its own thread, so the gate runs them side by side
(`run_judges`) while the wire judge draws its samples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hidream_contract.compat.loading import Spec


@dataclass(frozen=True)
class Finding:
    """One thing a judge says breaks (or may break), quoted as the judge says it."""

    level: str  # "error" (breaks), "warning" (may break: reported, not failing)
    rule: str  # the judge's own id: oasdiff's check id, griffe's breakage kind, tsc's error code
    text: str
    where: str = ""


@dataclass
class JudgeReport:
    name: str  # "wire", "oasdiff", "python-sdk", "typescript"
    title: str  # how the report names the judge
    findings: list[Finding] = field(default_factory=list)
    note: str = ""  # what was checked (counts, versions) or why the judge had nothing to say
    error: str = ""  # the judge could not run: the gate exits 2
    applicable: bool = True  # False: the judge had nothing to compare (the note says why)

    @property
    def breaking(self) -> bool:
        return any(f.level == "error" for f in self.findings)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def verdict(self) -> str:
        if self.error:
            return "could not run"
        if not self.applicable:
            return "not applicable"
        return "breaking" if self.breaking else "compatible"


class JudgeError(Exception):
    """A judge could not run; the message says why (the gate reports it and exits 2)."""


def spec_hash(spec: Spec, *extra: Path | str) -> str:
    """A cache key for what a judge makes of `spec`: the document's content plus the files and
    versions that shape the output (config, templates, tool versions)."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode())
    for item in extra:
        if isinstance(item, Path):
            files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
            for file in files:
                digest.update(file.name.encode())
                digest.update(file.read_bytes())
        else:  # a version, or the text of a file as it is elsewhere (BASE's config)
            digest.update(item.encode())
    return digest.hexdigest()[:24]


def guarded(name: str, title: str, work: Callable[[], JudgeReport]) -> JudgeReport:
    """Run a judge; a JudgeError becomes a report that says the judge could not run."""
    try:
        return work()
    except JudgeError as error:
        return JudgeReport(name, title, error=str(error))


def as_json(reports: list[JudgeReport]) -> list[dict[str, Any]]:
    return [
        {
            "judge": r.name,
            "verdict": r.verdict,
            "error": r.error,
            "note": r.note,
            "findings": [f.__dict__ for f in r.findings],
        }
        for r in reports
    ]
