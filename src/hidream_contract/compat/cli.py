"""`python -m hidream_contract.compat`: compare the working spec with BASE, write the report, exit 0/1/2."""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import yaml

from hidream_contract.compat import oasdiff, public, sdk
from hidream_contract.compat.changes import diff
from hidream_contract.compat.judge import judge
from hidream_contract.compat.judges import JudgeReport, guarded
from hidream_contract.compat.loading import CompatError, Spec, base_ref, file_at_ref, load_base, load_file
from hidream_contract.compat.report import Outcome, render
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH

DEFAULT_SPEC = SPEC_PATH.relative_to(ROOT)
DEFAULT_REPORT = Path("reports/compat-report.md")
JUDGES = ("wire", "oasdiff", "python-sdk", "typescript", "public-api", "completeness")


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
    parser.add_argument("--examples", type=int, default=30, help="samples drawn per operation and response")
    parser.add_argument("--seed", type=int, default=20240701, help="generation seed (runs are reproducible)")
    parser.add_argument(
        "--judges",
        default=",".join(JUDGES),
        help="comma-separated judges to run (default: all of %(default)s; the wire judge always runs)",
    )
    arguments = parser.parse_args(argv)
    unknown = set(arguments.judges.split(",")) - set(JUDGES)
    if unknown:
        parser.error(f"--judges: unknown judge(s) {sorted(unknown)}; choose from {list(JUDGES)}")
    if arguments.examples < 1:
        parser.error(f"--examples must be at least 1, not {arguments.examples}")
    return arguments


def run(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        new = load_file(arguments.spec)
        old, base_label = load_base(arguments.repo, arguments.base, arguments.spec)
        # The wire judge first, alone: its draws (hypothesis) parse Python source with ast.parse, which
        # CPython 3.11 cannot do while another thread of the process does too (the AST converter's
        # recursion counter is shared: "SystemError: AST constructor recursion depth mismatch",
        # python/cpython#106905, seen on a fresh clone). Then the others, which are subprocesses (Go,
        # the generator, tsc), side by side.
        verdict = judge(old, new, examples=arguments.examples, seed=arguments.seed)
        with tempfile.TemporaryDirectory(prefix="compat-") as work, ThreadPoolExecutor(3) as pool:
            ref = base_ref(arguments.repo, arguments.base)
            others = _start(
                pool, set(arguments.judges.split(",")), old, new, Path(work), (arguments.repo, ref)
            )
            reports = [future.result() for future in others]
    except CompatError as exc:
        print(f"error: the compat gate could not run: {exc}", file=sys.stderr)
        return 2
    outcome = Outcome(
        old_version=str(old["info"]["version"]),
        new_version=str(new["info"]["version"]),
        verdict=verdict,
        changes=diff(old, new),
        identical=old == new,
        judges=reports,
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
        print(f"  - wire: {evidence.finding.operation}, {evidence.finding.where}: {evidence.finding.message}")
    for report_ in reports:
        if report_.error:
            print(f"  - {report_.name}: could not run: {report_.error}")
        for finding in report_.findings:
            if finding.level in ("error", "gap"):
                print(f"  - {report_.name}: [{finding.rule}] {finding.where}: {finding.text}")
    print(f"==> compat: {outcome.version_advice()} Report and changelog text: {arguments.report}")
    return outcome.exit_code


def _start(
    pool: ThreadPoolExecutor,
    names: set[str],
    old: Spec,
    new: Spec,
    work: Path,
    base: tuple[Path, str | None] = (Path(), None),
) -> list[Future[JudgeReport]]:
    """Submit the judges beside the wire one; oasdiff reads the two documents from files in `work`.
    `base`: the repository and BASE's git ref (None for a spec file): the old client is generated with
    BASE's generator config, and the public-API judge imports BASE's `hidream`."""
    repo, ref = base
    old_config = file_at_ref(repo, ref, sdk.GENERATOR_CONFIG)
    old_file, new_file = work / "old.yaml", work / "new.yaml"
    for spec, path in ((old, old_file), (new, new_file)):
        path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    jobs = {
        "oasdiff": lambda: guarded("oasdiff", oasdiff.TITLE, lambda: oasdiff.judge(old_file, new_file, work)),
        "python-sdk": lambda: guarded(
            "python-sdk", "Python SDK", lambda: sdk.python_judge(old, new, old_config)
        ),
        "typescript": lambda: guarded("typescript", sdk.TS_TITLE, lambda: sdk.typescript_judge(old, new)),
        "public-api": lambda: guarded(
            "public-api",
            public.PUBLIC_TITLE,
            lambda: public.public_judge(old, new, repo=repo, base=ref, work=work, old_config=old_config),
        ),
        "completeness": lambda: guarded(
            "completeness", public.COMPLETE_TITLE, lambda: public.completeness_judge(new)
        ),
    }
    return [pool.submit(job) for name, job in jobs.items() if name in names]
