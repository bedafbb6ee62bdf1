"""docs/batch.md: its Python example runs as written, and its exit codes are the CLI's."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from hidream._cli_batch import EPILOG
from hidream_contract.project import ROOT
from tests.batch.faulty_standin import running_faulty_standin

DOC = ROOT / "docs" / "batch.md"
TOKEN = "docs-batch-token"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.slow  # the example polls at the default pace: about 1.5 s
def test_the_python_example_runs_against_the_stand_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    [example] = _python_blocks(DOC.read_text(encoding="utf-8"))
    photos = tmp_path / "photos"
    photos.mkdir()
    for n in range(3):
        (photos / f"p{n}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([n]))
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    printed = io.StringIO()
    with running_faulty_standin(TOKEN) as standin, contextlib.redirect_stdout(printed):
        scope = {"BASE_URL": standin.base_url, "PHOTOS": photos, "OUTDIR": tmp_path / "out"}
        exec(compile(example, str(DOC), "exec"), scope)  # noqa: S102 - our own page's example
    assert standin.accepted_tasks == 3
    lines = printed.getvalue().splitlines()
    assert lines[0] == "3 tasks at most"
    assert lines[-1] == "3 0 True"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["p0_x4.png", "p1_x4.png", "p2_x4.png"]


def test_the_exit_code_table_is_the_cli_s() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (\d+) \| ", text, flags=re.MULTILINE))
    in_help = set(re.findall(r"^  (\d+) ", EPILOG, flags=re.MULTILINE))
    assert documented == in_help == {"0", "2", "3", "14", "15", "130"}
