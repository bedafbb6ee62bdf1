"""Go clients through the catalog, each driven by its adapter in tests/sim/adapters/ (the command-adapter
protocol): the one oapi-codegen (Go's most used generator) makes from the spec's OpenAPI 3.0 rendition
(oapi_codegen.go), and the one openapi-generator's `go` makes with the interop row's options (og_go.go).
Their lifecycle rows must pass; the fault rows show what they lack (no retries: a 429 is final)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hidream_contract.interop.matrix import select
from hidream_contract.interop.targets import DRIVERS, GO_ENV, generate_batch, run
from hidream_contract.openapi30 import RENDITION_PATH
from hidream_contract.project import TESTS
from hidream_contract.spec import SPEC_PATH
from hidream_sim import conformance

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("go") is None, reason="the Go clients need go"),
]
ADAPTERS = TESTS / "sim" / "adapters"


def _oapi_codegen(out: Path) -> Path:
    (target,) = select(["oapi-codegen"])
    log = out / "log.txt"
    target.generate(RENDITION_PATH, out, log)
    work = out / "adapter"
    (work / "client").mkdir(parents=True)
    # The interop row's module: its go.mod and go.sum pin the one module the client imports.
    for name in ("go.mod", "go.sum"):
        shutil.copy(DRIVERS / "oapi-codegen" / name, work / name)
    shutil.copy(out / "client" / "client.gen.go", work / "client" / "client.gen.go")
    shutil.copy(ADAPTERS / "oapi_codegen.go", work / "main.go")
    env = {**GO_ENV, "GOFLAGS": "-mod=readonly"}
    run(["go", "build", "-o", out / "adapter-bin", "."], cwd=work, log=log, env=env)
    return out / "adapter-bin"


def _og_go(out: Path) -> Path:
    (target,) = select(["og-go"])
    log = out / "log.txt"
    (out / target.key).mkdir(parents=True)
    generate_batch([target], SPEC_PATH, out, log)
    work = out / "adapter"
    work.mkdir()
    shutil.copy(ADAPTERS / "og_go.go", work / "main.go")
    module = target.go_module()
    go_mod = f"module adapter\n\ngo 1.19\n\nrequire {module} v0.0.0\n"
    go_mod += f"\nreplace {module} => ../{target.key}/client\n"
    (work / "go.mod").write_text(go_mod, encoding="utf-8")
    # As the interop row: the client needs the standard library only, nothing is fetched.
    env = {**GO_ENV, "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    run(["go", "build", "-o", out / "adapter-bin", "."], cwd=work, log=log, env=env)
    return out / "adapter-bin"


@pytest.fixture(scope="module", params=["oapi-codegen", "og-go"])
def adapter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> conformance.Adapter:
    out = tmp_path_factory.mktemp(request.param)
    build = _oapi_codegen if request.param == "oapi-codegen" else _og_go
    return conformance.command_adapter([str(build(out))])


def test_the_go_client_passes_the_lifecycle(adapter: conformance.Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases("lifecycle"))
    assert len(rows) >= 8
    failed = {row.case_id: row.problems for row in rows if not row.passed}
    assert failed == {}


def test_the_table_shows_what_the_go_client_lacks(adapter: conformance.Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases(ids=["rate-limit-on-submit"]))
    (row,) = rows
    assert "the POST answered 429 was never retried" in row.problems
    table = conformance.table(rows, "a Go client")
    assert "| rate-limit-on-submit | faults | rate-limit-once | FAIL |" in table
