"""A generated client in another language through the catalog: openapi-generator's typescript-fetch
client, driven by tests/sim/adapters/typescript_fetch.ts under Node (the command-adapter protocol).
Its lifecycle rows must pass; the fault rows show what it lacks (no retries: a 429 is final)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hidream_contract.project import ROOT, SCRIPTS
from hidream_sim import conformance

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="openapi-generator needs Java"),
]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> conformance.Adapter:
    # A folder of its own: make test runs make lint (which writes build/ts-fetch-client) beside the tests.
    out = tmp_path_factory.mktemp("ts-fetch-client")
    done = subprocess.run(
        [SCRIPTS / "conformance", "--build-ts"],
        cwd=ROOT,
        env={**os.environ, "TS_FETCH_OUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    adapter = out / "conformance" / "js" / "conformance" / "adapter.js"
    assert adapter.is_file()
    return conformance.command_adapter(["node", str(adapter)])


def test_the_typescript_client_passes_the_lifecycle(adapter: conformance.Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases("lifecycle"))
    assert len(rows) >= 8
    failed = {row.case_id: row.problems for row in rows if not row.passed}
    assert failed == {}


def test_the_table_shows_what_the_typescript_client_lacks(adapter: conformance.Adapter) -> None:
    ids = ["rate-limit-on-submit", "redirect-moved", "local-validation-ratio", "extra-fields-on-submit"]
    rows = conformance.run(adapter, conformance.cases(ids=ids))
    by_id = {row.case_id: row for row in rows}
    assert "the POST answered 429 was never retried" in by_id["rate-limit-on-submit"].problems
    assert "billed 1, expected 0" in by_id["redirect-moved"].problems  # fetch follows the 308 silently
    assert "requests 1, expected 0" in by_id["local-validation-ratio"].problems  # no local enum check
    assert by_id["extra-fields-on-submit"].passed  # typescript-fetch ignores fields it does not know
    table = conformance.table(rows, "typescript-fetch")
    assert "| rate-limit-on-submit | faults | rate-limit-once | FAIL |" in table
