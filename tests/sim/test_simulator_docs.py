"""docs/simulator.md and docs/sdk-authors.md say what the code has: every scenario, every option of the
command, every action and outcome of the catalog (so neither can drift from the other)."""

from __future__ import annotations

import re
import subprocess
import sys

from hidream_contract.project import ROOT
from hidream_sim import SCENARIOS, conformance

SIMULATOR = (ROOT / "docs" / "simulator.md").read_text("utf-8")
SDK_AUTHORS = (ROOT / "docs" / "sdk-authors.md").read_text("utf-8")


def test_every_scenario_is_in_the_manual() -> None:
    missing = [name for name in SCENARIOS if f"`{name}`" not in SIMULATOR]
    assert missing == []


def test_every_option_of_the_command_is_in_the_manual() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hidream_sim", "--help"], capture_output=True, text=True, check=True
    )
    options = set(re.findall(r"(--[a-z][a-z-]+)", done.stdout)) - {"--help", "--mode", "--list-modes"}
    assert options
    missing = sorted(option for option in options if f"`{option}" not in SIMULATOR)
    assert missing == []


def test_the_sdk_guide_names_every_action_and_outcome_of_the_catalog() -> None:
    actions = conformance.schema()["$defs"]["case"]["properties"]["action"]["enum"]
    for name in [*actions, *conformance.OUTCOMES]:
        assert f"`{name}`" in SDK_AUTHORS, name
    assert "python -m hidream_sim.conformance --adapter" in SDK_AUTHORS
