"""`python -m hidream_contract.interop [--local] [--no-mock] [--spec PATH] [--report PATH] [TARGET...]`.

Exit 0 when every row is green or generate-only with its reason, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hidream_contract.interop.matrix import run_matrix, select
from hidream_contract.interop.report import render
from hidream_contract.interop.targets import TARGETS
from hidream_contract.project import REPORTS
from hidream_contract.spec import SPEC_PATH


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hidream_contract.interop", description=__doc__)
    parser.add_argument("targets", nargs="*", help=f"default: all of {[t.key for t in TARGETS]}")
    parser.add_argument("--local", action="store_true", help="only rows that need no more than make install")
    parser.add_argument("--no-mock", action="store_true", help="decode offline only (no Prism)")
    parser.add_argument("--spec", type=Path, default=SPEC_PATH)
    parser.add_argument("--report", type=Path, default=REPORTS / "interop.md")
    args = parser.parse_args(argv)
    try:
        targets = select(args.targets, local_only=args.local)
    except ValueError as error:
        parser.error(str(error))
    rows = run_matrix(targets, spec=args.spec.resolve(), mock=not args.no_mock)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    text = render(rows, args.spec)
    args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
