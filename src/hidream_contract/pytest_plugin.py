"""The pytest plugin both test folders load (`-p hidream_contract.pytest_plugin` in pyproject.toml):
the Prism mock as a session fixture, and a TERM that unwinds fixtures like Ctrl-C."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType
from urllib.parse import urlsplit

import pytest

from hidream_contract.mock import base_path, running_mock
from hidream_contract.spec import load


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# A TERM (CI cancelling a job) must unwind the fixtures like Ctrl-C does, so servers are stopped.
signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


@pytest.fixture(scope="session")
def mock_base_url() -> Iterator[str]:
    """The Prism mock of the real spec, as a base URL with the documented base path
    (`http://127.0.0.1:PORT/api-pub/gw/v3`): MOCK_BASE_URL if the caller runs one, else our own."""
    external = os.environ.get("MOCK_BASE_URL")
    if external:
        documented = base_path(load())
        if not urlsplit(external).path.rstrip("/").endswith(documented):
            raise pytest.UsageError(
                f"MOCK_BASE_URL must be the mock's base URL with the documented base path {documented} "
                f"(e.g. http://127.0.0.1:4010{documented}), got {external!r}"
            )
        yield external.rstrip("/")
        return
    with running_mock() as url:
        yield url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
