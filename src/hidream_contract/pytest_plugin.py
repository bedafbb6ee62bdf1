"""The pytest plugin both test folders load (`-p hidream_contract.pytest_plugin` in pyproject.toml):
the Prism mock as a session fixture, and a TERM that unwinds fixtures like Ctrl-C."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from hidream_contract.mock import running_mock


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# A TERM (CI cancelling a job) must unwind the fixtures like Ctrl-C does, so servers are stopped.
signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


@pytest.fixture(scope="session")
def mock_base_url() -> Iterator[str]:
    """The Prism mock of the real spec: MOCK_BASE_URL if the caller runs one, else our own."""
    external = os.environ.get("MOCK_BASE_URL")
    if external:
        yield external.rstrip("/")
        return
    with running_mock() as url:
        yield url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
