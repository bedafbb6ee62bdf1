"""Where the project's files are, for tools and tests that run from any working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
BUILD = ROOT / "build"
SCRIPTS = ROOT / "scripts"
CONFIG = ROOT / "config"
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
# The mock contract run (make contract), relative to ROOT as pytest and scripts/contract name it.
MOCK_CONTRACT_TEST = "tests/contract/test_mock_contract.py"
