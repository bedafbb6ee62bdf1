"""The pytest plugin of the simulator (registered as the `pytest11` entry point `hidream_sim`).

    def test_upscale(hidream_sim):                  # a running faithful simulator, stopped after the test
        client = HiDream(token=hidream_sim_token, base_url=hidream_sim.base_url)
        ...
        assert hidream_sim.billed == 1

Fixtures: `hidream_sim` (a `Simulator`; the marker `@pytest.mark.hidream_sim(scenario=..., task_seconds=...)`
changes how it is started; `server=False` gives it without a socket: reach it with
`httpx.Client(transport=hidream_sim.transport())`) and `hidream_sim_token` (the token it accepts).
The server needs the [sim] extra (uvicorn); the in-process simulator needs only httpx.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hidream_sim import DEFAULT_TOKEN, Simulator, simulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "hidream_sim(scenario=..., task_seconds=..., token=..., server=...): how the fixture starts",
    )


@pytest.fixture
def hidream_sim_token() -> str:
    """The token the `hidream_sim` fixture's simulator accepts."""
    return DEFAULT_TOKEN


@pytest.fixture
def hidream_sim(request: pytest.FixtureRequest, hidream_sim_token: str) -> Iterator[Simulator]:
    """A simulator on a free port of 127.0.0.1 for the test (faithful, instant, unless the marker says;
    `server=False`: in-process only, through `hidream_sim.transport()`)."""
    marker = request.node.get_closest_marker("hidream_sim")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    options.setdefault("token", hidream_sim_token)
    with simulator(**options) as sim:
        yield sim
