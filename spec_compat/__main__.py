"""Entry point of `python -m spec_compat` (scripts/compat calls it)."""

import sys

from spec_compat.cli import run

sys.exit(run())
