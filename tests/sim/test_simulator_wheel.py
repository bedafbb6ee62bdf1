"""The simulator as users get it: in the wheel, with its catalog, running on the standard library alone
(the [sim] extra only adds PyYAML, for reading the catalog)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from hidream_contract.project import ROOT


def test_the_wheels_simulator_serves_on_the_standard_library_alone(tmp_path: Path) -> None:
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
        from hidream_sim import simulator
        with simulator(token="wheel-token") as sim:
            call = urllib.request.Request(
                sim.base_url + "/image/image_upscaler/async", method="POST",
                data=json.dumps({"image": "https://x.example.test/a.png", "upsale_ratio": 2}).encode(),
                headers={"Authorization": "Bearer wheel-token", "Content-Type": "application/json"})
            answer = json.load(urllib.request.urlopen(call, timeout=10))
            print(answer["code"], sim.billed, "yaml" in sys.modules)
        """
    )
    # -I -S: no site-packages at all, only the standard library and the wheel's hidream_sim.
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["0", "1", "False"]
