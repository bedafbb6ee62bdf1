"""Start the Prism mock through scripts/mock for the length of a `with` block.

scripts/mock owns Prism's lifecycle (free port, readiness probe, process-group cleanup); this
module only reads the URL it prints and closes its stdin, which tells it to stop
(src/hidream_contract/children.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hidream_contract.children import ChildStartError, serving_child
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH


class MockStartError(ChildStartError):
    """Prism did not come up; the message carries what scripts/mock said, its log included."""


@contextmanager
def running_mock(spec: Path = SPEC_PATH) -> Iterator[str]:
    """Serve `spec` with Prism and yield its base URL (no trailing slash)."""
    argv = [str(SCRIPTS / "mock"), "--serve", str(spec)]
    with serving_child(argv, ready_key="MOCK_BASE_URL", cwd=ROOT, error=MockStartError) as url:
        yield url
