"""`python -m hidream_contract.compat`: compare the working spec with BASE, write the report, exit 0/1/2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hidream_contract.compat.changes import diff
from hidream_contract.compat.judge import judge
from hidream_contract.compat.loading import CompatError, load_base, load_file
from hidream_contract.compat.report import Outcome, render
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH

DEFAULT_SPEC = SPEC_PATH.relative_to(ROOT)
DEFAULT_REPORT = Path("reports/compat-report.md")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hidream_contract.compat", description=__doc__)
    parser.add_argument(
        "base", nargs="?", default=None, help="git ref or spec file (default: merge base with main)"
    )
    parser.add_argument(
        "--spec", type=Path, default=DEFAULT_SPEC, help="the working spec (default: %(default)s)"
    )
    parser.add_argument("--repo", type=Path, default=Path(), help="the git checkout BASE refers to")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="where to write the report")
    parser.add_argument("--examples", type=int, default=100, help="samples drawn per operation and response")
    parser.add_argument("--seed", type=int, default=20240701, help="generation seed (runs are reproducible)")
    arguments = parser.parse_args(argv)
    if arguments.examples < 1:
        parser.error(f"--examples must be at least 1, not {arguments.examples}")
    return arguments


def run(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        new = load_file(arguments.spec)
        old, base_label = load_base(arguments.repo, arguments.base, arguments.spec)
        verdict = judge(old, new, examples=arguments.examples, seed=arguments.seed)
    except CompatError as exc:
        print(f"error: the compat gate could not run: {exc}", file=sys.stderr)
        return 2
    outcome = Outcome(
        old_version=str(old["info"]["version"]),
        new_version=str(new["info"]["version"]),
        verdict=verdict,
        changes=diff(old, new),
        identical=old == new,
    )
    report = render(
        outcome,
        base_label=base_label,
        spec_label=str(arguments.spec),
        seed=arguments.seed,
        examples=arguments.examples,
    )
    arguments.report.parent.mkdir(parents=True, exist_ok=True)
    arguments.report.write_text(report, encoding="utf-8")
    print(f"==> compat: {outcome.headline()}")
    for evidence in verdict.evidence:
        print(f"  - {evidence.finding.operation}, {evidence.finding.where}: {evidence.finding.message}")
    print(f"==> compat: {outcome.version_advice()} Report and changelog text: {arguments.report}")
    return outcome.exit_code
