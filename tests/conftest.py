"""How the tests are spread over pytest-xdist's workers (scripts/unit: `-n auto --dist loadgroup`).

One test at a time, in pytest-randomly's order (which mixes the tests that compute with the ones that
wait), so a long module never keeps one worker busy while the other idles at the end. A module holding
a module-scoped fixture (a generated client, a built wheel, a proxy in front of the simulator) keeps
the tests that use it on one worker, so the fixture is made once and its folder is its own. Without
xdist nothing here changes the run.
"""

from __future__ import annotations

import pytest


def pytest_itemcollected(item: pytest.Item) -> None:
    if not isinstance(item, pytest.Function):
        return
    # pytest's record of the fixtures a test uses, with their definitions (the last one is used).
    definitions = item._fixtureinfo.name2fixturedefs.values()
    if any(defs[-1].scope == "module" for defs in definitions):
        item.add_marker(pytest.mark.xdist_group(item.module.__name__ if item.module else item.nodeid))
