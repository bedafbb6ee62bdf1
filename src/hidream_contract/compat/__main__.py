"""Entry point of `python -m hidream_contract.compat` (scripts/compat calls it)."""

import sys

from hidream_contract.compat.cli import run

sys.exit(run())
