"""The README's opening example runs as written (against the local stand-in, with a real PNG file)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hidream_contract.project import ROOT
from hidream_sim import running_standin
from tests.doubles.http import PNG


def opening_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert match, "the README has no python example"
    return match.group(1)


def test_the_opening_example_is_five_lines_and_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = opening_example()
    assert len(code.splitlines()) == 5
    (tmp_path / "photo.png").write_bytes(PNG)
    monkeypatch.chdir(tmp_path)
    with running_standin("faithful", token="readme-token") as standin:
        monkeypatch.setenv("HIDREAM_API_TOKEN", "readme-token")
        monkeypatch.setenv("HIDREAM_API_BASE_URL", standin.base_url)
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README's example
        assert standin.accepted_tasks == 1
    task_id, sub_task_ids, request_id = capsys.readouterr().out.split(" ", 2)
    assert len(task_id) == 36
    assert sub_task_ids.startswith("('")  # a tuple of ids
    assert request_id.strip()
