"""The contract run's one ordering need: the request floor reads what the run before it sent."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)  # after pytest-randomly's shuffle
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """test_run_sent_enough_requests goes last; run alone, it makes the run itself (its docstring)."""
    floor = [item for item in items if getattr(item, "originalname", "") == "test_run_sent_enough_requests"]
    items[:] = [item for item in items if item not in floor] + floor
