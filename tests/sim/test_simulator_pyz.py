"""The one-file simulator (issue 29): scripts/sim-pyz makes a zipapp of the wheel and the server's packages;
started from an empty folder by a Python that has none of our packages, it serves a task's whole life and
stops when told (what `make dist` builds and the release attaches)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from hidream_contract.project import ROOT
from hidream_sim.png import png_size

TOKEN = "pyz-token"


def _bare_python() -> str:
    """The interpreter this venv was made from: no uvicorn, no httpx, none of ours."""
    for name in ("python3", "python"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.exists():
            return str(candidate)
    return sys.executable


def _build(tmp_path: Path) -> Path:
    """A wheel of this checkout (hatchling, offline) and the zipapp made from it by scripts/sim-pyz."""
    built = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    pyz = tmp_path / "dist" / "hidream-sim.pyz"
    made = subprocess.run(
        ["scripts/sim-pyz", str(wheel), str(pyz)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return pyz


@pytest.mark.slow
def test_the_one_file_simulator_runs_a_task_from_an_empty_folder(tmp_path: Path) -> None:
    given = os.environ.get("HIDREAM_SIM_PYZ")  # scripts/dist: the zipapp it made, run as is
    pyz = Path(given) if given else _build(tmp_path)
    with zipfile.ZipFile(pyz) as archive:
        names = archive.namelist()
    assert any(name.endswith("uvicorn/__init__.py") for name in names)
    assert not [name for name in names if name.endswith((".so", ".pyd"))]

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(empty),
        "SHIV_ROOT": str(tmp_path / "shiv"),
        "HIDREAM_STANDIN_TOKEN": TOKEN,
    }
    python = _bare_python()
    bare = subprocess.run(
        [python, "-c", "import uvicorn"], capture_output=True, env=env, check=False, timeout=60
    )
    argv = [python, str(pyz), "--port", "0", "--ready-key", "SIM", "--until-stdin-closes"]
    with subprocess.Popen(
        argv,
        cwd=empty,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdin is not None
            line = child.stdout.readline().strip()
            assert line.startswith("SIM=http://127.0.0.1:"), line
            base_url = line.removeprefix("SIM=")
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
            url = base_url + "/image/image_upscaler/async"
            with httpx.Client(timeout=10, trust_env=False) as http:
                task = http.post(
                    url, json={"image": "https://x.example.test/a.png", "upsale_ratio": 2}, headers=headers
                )
                task_id = task.json()["result"]["task_id"]
                reads = [
                    http.get(url + "/results", params={"task_id": task_id}, headers=headers).json()
                    for _ in range(3)
                ]
                (sub,) = reads[-1]["result"]["sub_task_results"]
                image = http.get(sub["image"])
            assert [r["result"]["sub_task_results"][0]["task_status"] for r in reads] == [0, 2, 1]
            assert image.status_code == 200
            assert png_size(image.content)[0] > 0
            child.stdin.close()
            assert child.wait(timeout=30) == 0
        finally:
            if child.poll() is None:
                child.kill()
        assert child.stderr is not None
        stderr = child.stderr.read()
    assert "stopped after 5 requests, 1 tasks" in stderr
    assert TOKEN not in stderr
    assert list(empty.iterdir()) == []  # it wrote nothing where it was started
    if python != sys.executable:
        assert bare.returncode != 0  # so the zipapp, not the interpreter, brought uvicorn
