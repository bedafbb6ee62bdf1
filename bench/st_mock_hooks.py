"""Schemathesis hooks for the bare `st run` baseline: the same mock-only checks the pytest run uses.

Loaded with SCHEMATHESIS_HOOKS=bench.st_mock_hooks; the two originals they replace are excluded on
the command line (see bench/contract_run.py), so both runs check every answer the same way.
"""

from __future__ import annotations

import schemathesis

from hidream_contract.mock_checks import MOCK_CHECKS

for _check in MOCK_CHECKS:
    schemathesis.check(_check)
