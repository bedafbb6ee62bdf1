"""A Go client through the catalog: the one oapi-codegen (Go's most used generator) makes from the spec's
OpenAPI 3.0 rendition, driven by tests/sim/adapters/oapi_codegen.go (the command-adapter protocol).
Its lifecycle rows must pass; the fault rows show what it lacks (no retries: a 429 is final)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hidream_contract.interop.matrix import select
from hidream_contract.interop.targets import DRIVERS, GO_ENV, run
from hidream_contract.openapi30 import RENDITION_PATH
from hidream_contract.project import TESTS
from hidream_sim import conformance

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("go") is None, reason="the Go client needs go"),
]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> conformance.Adapter:
    out = tmp_path_factory.mktemp("oapi-codegen")
    (target,) = select(["oapi-codegen"])
    log = out / "log.txt"
    target.generate(RENDITION_PATH, out, log)
    work = out / "adapter"
    (work / "client").mkdir(parents=True)
    # The interop row's module: its go.mod and go.sum pin the one module the client imports.
    for name in ("go.mod", "go.sum"):
        shutil.copy(DRIVERS / "oapi-codegen" / name, work / name)
    shutil.copy(out / "client" / "client.gen.go", work / "client" / "client.gen.go")
    shutil.copy(TESTS / "sim" / "adapters" / "oapi_codegen.go", work / "main.go")
    run(
        ["go", "build", "-o", out / "adapter-bin", "."],
        cwd=work,
        log=log,
        env={**GO_ENV, "GOFLAGS": "-mod=readonly"},
    )
    return conformance.command_adapter([str(out / "adapter-bin")])


def test_the_go_client_passes_the_lifecycle(adapter: conformance.Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases("lifecycle"))
    assert len(rows) >= 8
    failed = {row.case_id: row.problems for row in rows if not row.passed}
    assert failed == {}


def test_the_table_shows_what_the_go_client_lacks(adapter: conformance.Adapter, tmp_path: Path) -> None:
    rows = conformance.run(adapter, conformance.cases(ids=["rate-limit-on-submit"]))
    (row,) = rows
    assert "the POST answered 429 was never retried" in row.problems
    table = conformance.table(rows, "oapi-codegen (Go)")
    assert "| rate-limit-on-submit | faults | rate-limit-once | FAIL |" in table
