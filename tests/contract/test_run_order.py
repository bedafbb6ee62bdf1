"""The mock contract run's one ordering need holds in any order: its request floor goes last."""

from __future__ import annotations

import importlib.util
import random
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from hidream_contract.project import TESTS


def contract_conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("contract_conftest", TESTS / "contract" / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", range(5))
def test_the_request_floor_runs_after_the_run_it_counts_whatever_the_shuffle(seed: int) -> None:
    names = ["test_mock_conforms_to_spec"] * 4 + ["test_stateful_chain_reads_the_submitted_task"]
    names += ["test_run_sent_enough_requests", "test_elsewhere"]
    items: list[Any] = [
        SimpleNamespace(originalname=name, nodeid=f"{name}[{i}]") for i, name in enumerate(names)
    ]
    random.Random(seed).shuffle(items)  # noqa: S311 (an order, not a secret)
    before = [item.nodeid for item in items if item.originalname != "test_run_sent_enough_requests"]
    contract_conftest().pytest_collection_modifyitems(items)
    assert items[-1].originalname == "test_run_sent_enough_requests"
    assert [item.nodeid for item in items[:-1]] == before  # the rest keep the shuffled order
