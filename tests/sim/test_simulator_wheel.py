"""The simulator as users get it: in the wheel, with its catalog; served by uvicorn (the [sim] extra) and
in-process through httpx alone (the client's own dependency), without PyYAML (only the catalog needs it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from hidream_contract.project import ROOT


def test_the_wheels_simulator_serves_and_runs_in_process_from_the_wheels_files(tmp_path: Path) -> None:
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
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site", [n for n in names if n.startswith("hidream_sim/")])
    assert "hidream_sim/catalog.yaml" in names
    assert "hidream_sim/catalog.schema.json" in names
    probe = textwrap.dedent(
        """
        import json, sys, urllib.request
        sys.path.insert(0, sys.argv[1])
        import httpx
        import hidream_sim
        assert hidream_sim.__file__.startswith(sys.argv[1]), hidream_sim.__file__
        from hidream_sim import simulator
        body = {"image": "https://x.example.test/a.png", "upsale_ratio": 2}
        headers = {"Authorization": "Bearer wheel-token", "Content-Type": "application/json"}
        with simulator(token="wheel-token", server=False) as sim:
            with httpx.Client(transport=sim.transport()) as http:
                url = sim.base_url + "/image/image_upscaler/async"
                answer = http.post(url, json=body, headers=headers).json()
            print(answer["code"], sim.billed, "uvicorn" in sys.modules)
        with simulator(token="wheel-token") as sim:
            call = urllib.request.Request(
                sim.base_url + "/image/image_upscaler/async", method="POST",
                data=json.dumps(body).encode(), headers=headers)
            answer = json.load(urllib.request.urlopen(call, timeout=10))
            print(answer["code"], sim.billed, "yaml" in sys.modules)
        """
    )
    # -I: the environment's packages (uvicorn, httpx), and hidream_sim from the wheel's files, first.
    ran = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [
        "0",
        "1",
        "False",
        "0",
        "1",
        "False",
    ]  # in-process: no uvicorn; served: no yaml
