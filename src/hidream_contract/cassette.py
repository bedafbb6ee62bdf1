"""`python -m hidream_contract.cassette`: what a live run kept, put to work.

    python -m hidream_contract.cassette compare OLD.har NEW.har [--strict]
    python -m hidream_contract.cassette propose reports/live-observed.json [MORE.json ...] [--docs]

`compare`: two cassettes (live/compare.py): the shapes of the answers, codes, messages, headers and
statuses, not ids and timestamps. Exit 0: the same answers; 1: the service's answers changed (with
--strict, also when one cassette has requests the other lacks); 2: could not compare (a file missing
or not a cassette).

`propose`: observed catalogs (live/observed.py) as named examples for the spec, with their
provenance ("observed by the live check on DATE"), printed for review; `--docs` prints the table
for SDK authors instead (docs/sdk-authors.md). Exit 0, or 2 when a catalog cannot be read.

Everything printed comes from files the live check wrote, already redacted; control characters are
escaped before they reach the terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hidream_contract.live import compare  # the standard library only: the nightly's compare job runs it bare

COULD_NOT = 2


def _read(path: str, what: str, needs: str) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read {what} ({type(exc).__name__})") from None
    if (
        not isinstance(document, dict)
        or (needs == "log" and not isinstance(document.get("log", {}).get("entries"), list))
        or (needs == "rejections" and not isinstance(document.get("rejections"), list))
    ):
        raise ValueError(f"{path}: not {what}")
    return document


def _safe(text: str) -> str:
    """Control characters (but newlines) escaped: a terminal shows them, it does not obey them."""
    return "".join(c if c == "\n" or c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hidream_contract.cassette",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser(
        "compare", help="what changed between two cassettes (exit 0 same, 1 changed, 2)"
    )
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--strict", action="store_true", help="requests only one cassette has count as changes")
    prop = commands.add_parser("propose", help="observed rejections as spec examples (or --docs: a table)")
    prop.add_argument("catalogs", nargs="+")
    prop.add_argument("--docs", action="store_true", help="print the SDK authors' table instead")
    args = parser.parse_args(argv)
    try:
        if args.command == "compare":
            old = _read(args.old, "a HAR cassette", "log")
            new = _read(args.new, "a HAR cassette", "log")
            changes = compare.compare(old, new)
            print(_safe(changes.text()))
            return changes.exit_status(strict=args.strict)
        from hidream_contract.live import observed  # reads the spec (PyYAML): only for propose

        catalogs = [_read(path, "an observed catalog", "rejections") for path in args.catalogs]
        print(_safe(observed.sdk_table(catalogs) if args.docs else observed.propose(catalogs)), end="")
        return 0
    except (ValueError, KeyError, TypeError) as exc:
        print(f"==> cassette: could not {args.command} (exit 2)\n    {_safe(str(exc))}", file=sys.stderr)
        return COULD_NOT


if __name__ == "__main__":
    raise SystemExit(main())
