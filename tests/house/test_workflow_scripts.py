"""The workflow scripts do what the README promises: the mock always stops, check-generated bites,
`make` lists every target, the Spectral ruleset enforces its own rules."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hidream_contract.mock import MockStartError, running_mock
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH, load

VENV_BIN = ROOT / ".venv" / "bin"
ENV = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}


def processes_mentioning(marker: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    return [line for line in ps.stdout.splitlines() if marker in line and "ps -eo" not in line]


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 - a loopback URL we started
    except urllib.error.HTTPError:
        return True  # any HTTP status means a server is there
    except OSError:
        return False
    return True


@pytest.fixture
def private_spec(tmp_path: Path) -> Path:
    """A copy of the spec under a unique name: its Prism serves the derived `<name>.served.yaml`
    (scripts/mock), and is found in `ps` by that name."""
    path = tmp_path / f"spec-under-test-{tmp_path.name}.yaml"
    shutil.copy(SPEC_PATH, path)
    return path


@pytest.mark.slow
@pytest.mark.prism
def test_mock_wrapper_serves_then_stops_prism(private_spec: Path) -> None:
    run = subprocess.run(
        [str(SCRIPTS / "mock"), str(private_spec), "--", "bash", "-c", 'echo "$MOCK_BASE_URL"'],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    url = run.stdout.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api-pub/gw/v3", url)  # the documented base path
    assert not answers(url), "Prism still answers after scripts/mock returned"
    assert processes_mentioning(private_spec.stem + ".served.yaml") == []


@pytest.mark.slow
@pytest.mark.prism
def test_mock_wrapper_passes_on_the_command_status_and_still_stops(private_spec: Path) -> None:
    run = subprocess.run(
        [str(SCRIPTS / "mock"), str(private_spec), "--", "bash", "-c", "exit 7"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 7
    assert processes_mentioning(private_spec.stem + ".served.yaml") == []


@pytest.mark.slow
@pytest.mark.prism
def test_mock_is_stopped_on_ctrl_c(private_spec: Path) -> None:
    proc = subprocess.Popen(
        [str(SCRIPTS / "mock"), str(private_spec), "--", "bash", "-c", 'echo "$MOCK_BASE_URL"; sleep 300'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert answers(url)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground group on Ctrl-C
        assert proc.wait(timeout=30) != 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stdout is not None:
            proc.stdout.close()
    assert not answers(url)
    assert processes_mentioning(private_spec.stem + ".served.yaml") == []


@pytest.mark.slow
@pytest.mark.prism
def test_running_mock_stops_prism_when_the_block_raises(private_spec: Path) -> None:
    seen: list[str] = []

    def serve_then_fail() -> None:
        with running_mock(private_spec) as url:
            seen.append(url)
            assert answers(url)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        serve_then_fail()
    assert not answers(seen[0])
    assert processes_mentioning(private_spec.stem + ".served.yaml") == []


@pytest.mark.slow
@pytest.mark.prism
def test_mock_that_cannot_start_prints_prisms_log(tmp_path: Path) -> None:
    broken = tmp_path / "not-a-spec.yaml"  # YAML, with paths, that Prism cannot serve
    broken.write_text("openapi: 7.0.0\npaths: {}\n", encoding="utf-8")  # no OpenAPI version Prism knows
    with pytest.raises(MockStartError) as failure, running_mock(broken):
        pass
    message = str(failure.value)
    assert "Prism did not start; its log" in message
    assert "build/mock/prism-" in message
    assert processes_mentioning(broken.stem + ".served.yaml") == []


def test_mock_names_a_spec_that_is_not_yaml(tmp_path: Path) -> None:
    broken = tmp_path / "not-yaml.yaml"
    broken.write_text("openapi: 3.1.0\npaths: [this is not an OpenAPI document\n", encoding="utf-8")
    with pytest.raises(MockStartError) as failure, running_mock(broken):
        pass
    assert f"{broken}: not a YAML document" in str(failure.value)


@pytest.mark.slow
def test_mock_rejects_a_missing_spec_with_usage_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(SCRIPTS / "mock"), str(tmp_path / "nope.yaml"), "--", "true"],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert "no OpenAPI document at" in run.stderr


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The files the generator needs, copied, so a test may edit the spec without touching ours."""
    copy = tmp_path / "project"
    for folder in ("openapi", "config", "scripts", "generated_client"):
        shutil.copytree(
            ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    return copy


@pytest.mark.slow
def test_check_generated_passes_on_the_committed_client(project_copy: Path) -> None:
    run = subprocess.run(
        [str(project_copy / "scripts" / "check-generated")],
        env=ENV, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "up to date" in run.stderr


@pytest.mark.slow
def test_check_generated_fails_naming_files_when_the_spec_was_edited(project_copy: Path) -> None:
    spec = project_copy / SPEC_PATH.relative_to(ROOT)
    text = spec.read_text(encoding="utf-8")
    edited = text.replace(
        '        request_id:\n          type: string\n          default: ""',
        "        seed:\n          type: integer\n          description: Random seed. / 随机种子。\n"
        '        request_id:\n          type: string\n          default: ""',
    )
    assert edited != text
    spec.write_text(edited, encoding="utf-8")
    run = subprocess.run(
        [str(project_copy / "scripts" / "check-generated")],
        env=ENV, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    assert "out of date" in run.stderr
    assert "upscale_request.py" in run.stderr


def test_make_alone_lists_every_target_with_a_line() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE)
    run = subprocess.run(
        ["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    listed = re.findall(r"^\s+make (\S+)\s+\S", run.stdout, flags=re.MULTILINE)
    assert sorted(listed) == sorted(targets)
    assert {"install", "test", "contract", "generate", "check-generated"} <= set(listed)


@pytest.mark.slow
def test_spectral_ruleset_rejects_an_english_only_description(tmp_path: Path) -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")
    bad = text.replace(
        'Your own id for this request. / 请求的 ID,默认为 ""。', "Your own id for this request."
    )
    assert bad != text
    path = tmp_path / "english-only.yaml"
    path.write_text(bad, encoding="utf-8")
    spectral = ROOT / "node_modules" / ".bin" / "spectral"
    run = subprocess.run(
        [str(spectral), "lint", "--ruleset", str(ROOT / "config" / "spectral.yaml"), str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode != 0
    assert "kit-bilingual-descriptions" in run.stdout
    assert "request_id" in run.stdout


def test_generated_client_keeps_the_token_out_of_repr() -> None:
    from hidream_api_client import AuthenticatedClient

    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token="canary-token-6b1f")
    client.get_httpx_client()  # puts the Authorization header into the client's headers
    try:
        assert "canary-token-6b1f" not in repr(client)
        assert client.get_httpx_client().headers["Authorization"] == "Bearer canary-token-6b1f"
    finally:
        client.get_httpx_client().close()


def test_generated_package_version_is_the_spec_version() -> None:
    import tomllib

    spec_version = load()["info"]["version"]
    generated = tomllib.loads((ROOT / "generated_client" / "pyproject.toml").read_text(encoding="utf-8"))
    assert generated["project"]["version"] == spec_version


def test_no_fixed_sleeps_wait_for_prism() -> None:
    """Readiness is probed: the only sleep in scripts/mock is the short poll interval."""
    script = (SCRIPTS / "mock").read_text(encoding="utf-8")
    sleeps = re.findall(r"sleep ([0-9.]+)", script)
    assert sleeps
    assert all(float(s) <= 0.1 for s in sleeps)
    assert "time.sleep" not in (ROOT / "src" / "hidream_contract" / "mock.py").read_text(encoding="utf-8")


def test_child_server_that_never_serves_raises_with_its_stderr(tmp_path: Path) -> None:
    from hidream_contract.children import ChildStartError, serving_child

    argv = [sys.executable, "-c", "import sys; print('no port for you', file=sys.stderr); sys.exit(3)"]
    with pytest.raises(ChildStartError, match=r"(?s)did not start \(exit 3\).*no port for you"):  # noqa: SIM117
        with serving_child(argv, ready_key="PORT", cwd=tmp_path):
            pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.prism
def test_mock_serves_on_the_port_asked_for_at_the_documented_base_path(private_spec: Path) -> None:
    port = _free_port()
    run = subprocess.run(
        [str(SCRIPTS / "mock"), "--port", str(port), str(private_spec), "--", "bash", "-c",
         'echo "$MOCK_BASE_URL"'],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"http://127.0.0.1:{port}/api-pub/gw/v3"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["mock", "--port", "http", "--", "true"], "--port needs a port number"),
        (["mock", "--port", "70000", "--", "true"], "--port needs a port number"),
        (["proxy", "--", "true"], "usage: scripts/proxy"),
        (["mock", "--proxy", "not-a-url", "--", "true"], "--proxy needs an http(s) URL"),
    ],
)
def test_mock_and_proxy_reject_bad_arguments_with_usage_errors(argv: list[str], says: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROXY_UPSTREAM"}
    run = subprocess.run(
        [str(SCRIPTS / argv[0]), *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert says in run.stderr


def test_the_served_spec_puts_every_path_under_the_first_servers_path() -> None:
    from hidream_contract.mock import base_path, served_document
    from hidream_contract.spec import load

    spec = load()
    served = served_document(spec)
    assert base_path(spec) == "/api-pub/gw/v3"
    assert list(served["paths"]) == ["/api-pub/gw/v3" + path for path in spec["paths"]]
    assert [s["url"] for s in served["servers"]] == ["/"]
    assert served["components"] == spec["components"]  # nothing else changes
    assert base_path({"paths": {}}) == ""  # no servers: the root
    assert base_path({"servers": [{"url": "https://h.example/a/b/"}], "paths": {}}) == "/a/b"
