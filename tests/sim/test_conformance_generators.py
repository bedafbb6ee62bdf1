"""Generated clients through the catalog, each driven by its adapter in tests/sim/adapters/ and built as
`python -m hidream_contract.interop.conformance` builds it: every client's lifecycle must pass, and the
fault rows show what a bare generated client lacks (no retries of a 429 on a submit: it is final).
(typescript-fetch has its own: test_conformance_typescript.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hidream_contract.interop.conformance import BUILDERS, build, main, table
from hidream_contract.interop.matrix import select
from hidream_sim import conformance

pytestmark = pytest.mark.slow
KEYS = [key for key in BUILDERS if key != "og-typescript-fetch"]


@pytest.fixture(scope="module", params=KEYS)
def adapter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> conformance.Adapter:
    (target,) = select([request.param])
    missing = target.missing_toolchain()  # go, javac and mvn, php with Guzzle: scripts/install --interop
    if missing:
        pytest.skip(f"{request.param}: {missing}")
    if target.generator and shutil.which("java") is None:
        pytest.skip("openapi-generator needs Java")
    return conformance.command_adapter(build(request.param, tmp_path_factory.mktemp("adapters")))


def test_the_generated_client_passes_the_lifecycle(adapter: conformance.Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases("lifecycle"))
    assert len(rows) >= 8
    failed = {row.case_id: row.problems for row in rows if not row.passed}
    assert failed == {}


def test_the_table_shows_what_the_generated_client_lacks(adapter: conformance.Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases(ids=["rate-limit-on-submit"]))
    (row,) = rows
    assert "the POST answered 429 was never retried" in row.problems


def test_the_generator_table_has_a_column_per_client_and_the_totals(tmp_path: Path) -> None:
    passed = conformance.Row("a", "lifecycle", "faithful", "rule")
    failed = conformance.Row("b", "faults", "x", "rule", problems=["never retried"])
    text = table({"one": [passed, failed], "two": [passed]})
    assert "| case | one | two |" in text
    assert "| a | pass | pass |" in text
    assert "| b | FAIL | — |" in text
    assert "| **passed** | 1/2 | 1/1 |" in text


def test_an_unknown_generator_is_named() -> None:
    with pytest.raises(ValueError, match="no conformance adapter for 'og-csharp'"):
        build("og-csharp")


def test_a_client_whose_toolchain_is_missing_is_named_under_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "php" else real_which(name))
    report = tmp_path / "table.md"
    assert main(["og-php", "--group", "lifecycle", "--report", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert "- og-php: not built here: php not installed" in text
    assert "| og-php |" not in text


@pytest.mark.skipif(shutil.which("go") is None or shutil.which("java") is None, reason="needs go and Java")
def test_og_go_glue_calls_a_deadline_mid_body_a_timeout(tmp_path: Path) -> None:
    # Its Execute returns the answer's head with the body's read error: the glue must not call that an
    # unreadable body (malformed_response) because a status came.
    adapter = conformance.command_adapter(build("og-go", tmp_path))
    (row,) = conformance.run(adapter, conformance.cases(ids=["dripping-answer"]))
    assert row.problems == []
