"""`hidream-upscale`: prints the task id or the envelope, one documented exit code per error class."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hidream_api_client.models import AcceptLanguage, ModelVersion, UpsaleRatio, UpscaleRequest
from hidream_api_client.surface import SUBMIT_UPSCALE_TASK

from hidream import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    HiDreamError,
    InvalidInputError,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
)
from hidream._inputs import row
from hidream._upscale import DEFAULT_RATIO
from hidream.cli import EPILOG, _parser, exit_code, main
from hidream_sim import StandIn, running_standin
from tests.doubles.http import PNG, record_sleeps

TOKEN = "cli-test-token"
IMAGE = "https://storage.example.test/photo.png"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)
    record_sleeps(monkeypatch)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin("faithful", token=TOKEN) as server:
        yield server


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_submit_prints_the_task_id(standin: StandIn) -> None:
    code, out, err = run("submit", IMAGE, "--ratio", "4", "--base-url", standin.base_url)
    assert code == 0
    task_id = out.strip()
    assert len(task_id) == 36  # the stand-in's ids are UUIDs
    assert err == ""
    assert standin.accepted_tasks == 1


def test_json_prints_the_envelope(standin: StandIn, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    code, out, _ = run(
        "submit",
        str(photo),
        "--json",
        "--base-url",
        standin.base_url,
        "--request-id",
        "cli-1",
        "--language",
        "en",
    )
    assert code == 0
    envelope = json.loads(out)
    assert envelope["code"] == 0
    assert envelope["request_id"] == "cli-1"
    assert envelope["message"] == "Success"
    assert set(envelope["result"]) == {"task_id", "sub_task_ids"}


def test_the_base_url_comes_from_the_environment_too(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIDREAM_API_BASE_URL", standin.base_url)
    assert run("submit", IMAGE)[0] == 0
    assert standin.requests == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("mode", "extra", "exit_status", "error_type"),
    [
        ("faithful", ["https://storage.example.test/page.html"], 4, "RejectedRequestError"),
        ("throttled", [IMAGE, "--max-attempts", "1"], 5, "RateLimitError"),
        ("unavailable", [IMAGE], 6, "ServerError"),
        ("missing-result", [IMAGE], 7, "MalformedResponseError"),
    ],
)
def test_errors_exit_with_their_class_code_and_print_json_with_json(
    mode: str, extra: list[str], exit_status: int, error_type: str
) -> None:
    with running_standin(mode, token=TOKEN) as server:
        code, out, err = run("submit", *extra, "--json", "--base-url", server.base_url)
    assert code == exit_status
    error = json.loads(out)["error"]
    assert error["type"] == error_type
    assert error["message"]
    assert f"hidream-upscale: {error_type}:" in err
    assert TOKEN not in out + err


def test_a_refused_token_exits_3(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", "not-the-token")
    code, out, err = run("submit", IMAGE, "--base-url", standin.base_url)
    assert (code, out) == (3, "")
    assert "AuthenticationError" in err
    assert "not-the-token" not in err


def test_no_token_exits_3_and_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIDREAM_API_TOKEN")
    code, _, err = run("submit", IMAGE)
    assert code == 3
    assert "HIDREAM_API_TOKEN" in err


def test_connection_failures_exit_8() -> None:
    code, _, err = run(
        "submit", IMAGE, "--base-url", f"http://127.0.0.1:{free_port()}", "--max-attempts", "2"
    )
    assert code == 8
    assert "APIConnectionError" in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["submit", "https://example.test/a.png", "--notify-url", "not-a-url"], "notify_url"),
        (["submit", "no-such-file.png"], "image"),
        (["submit", IMAGE, "--model-version", "v9"], "version"),
        (["submit", IMAGE, "--max-attempts", "0"], "max_attempts"),
        (["submit", IMAGE, "--read-timeout", "0"], "--read-timeout"),
        (["submit", IMAGE, "--base-url", "localhost:8080"], "base_url"),
    ],
)
def test_bad_input_exits_2_naming_the_field_and_sends_nothing(argv: list[str], named: str) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert f"InvalidInputError: {named}: " in err


def test_usage_errors_exit_2_through_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["submit", IMAGE, "--ratio", "3"])
    assert exited.value.code == 2
    assert "invalid choice: 3" in capsys.readouterr().err


def test_verbose_logs_the_request_with_its_id_to_stderr_only_while_running(standin: StandIn) -> None:
    code, _, err = run("submit", IMAGE, "-v", "--request-id", "cli-verbose", "--base-url", standin.base_url)
    assert code == 0
    assert "request_id=cli-verbose" in err
    assert TOKEN not in err
    assert run("submit", IMAGE, "--base-url", standin.base_url)[2] == ""  # the handler was removed


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInputError("image", "bad"), 2),
        (AuthenticationError("no"), 3),
        (RejectedRequestError("no", code=1), 4),
        (RateLimitError("slow"), 5),
        (ServerError("boom"), 6),
        (MalformedServerError("html"), 6),
        (MalformedResponseError("junk"), 7),
        (APIConnectionError("down", request_sent=False), 8),
        (APITimeoutError("slow", phase="read", request_sent=True), 8),
        (HiDreamError("other"), 1),
    ],
)
def test_every_error_class_has_its_documented_exit_code(error: HiDreamError, status: int) -> None:
    assert exit_code(error) == status
    assert f"  {status}  " in EPILOG


@pytest.mark.slow
def test_the_installed_console_script_runs(standin: StandIn) -> None:
    script = shutil.which("hidream-upscale", path=str(Path(sys.executable).parent))
    assert script, "hidream-upscale is not installed: run `make install` (pyproject.toml [project.scripts])"
    done: Any = subprocess.run(
        [script, "submit", IMAGE, "--base-url", standin.base_url],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HIDREAM_API_TOKEN": TOKEN, "PATH": str(Path(sys.executable).parent)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 36


def test_choices_and_defaults_are_the_generated_ones_and_the_help_shows_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A value or an input added to the spec reaches the CLI by regeneration alone: nothing here is
    # written by hand, every row of the generated surface is checked.
    by_flag = {flag: action for action in _submit_parser()._actions for flag in action.option_strings}
    with pytest.raises(SystemExit):
        main(["submit", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for item in SUBMIT_UPSCALE_TASK.inputs:
        action = by_flag[item.flag]
        if item.kind == "integer" and item.values:
            assert list(action.choices or []) == list(item.values)
        assert " ".join(item.help.split()) in shown
        if item.values:
            assert f"one of {', '.join(str(v) for v in item.values)}" in shown
    version_default = attrs.fields(UpscaleRequest).version.default
    assert isinstance(version_default, ModelVersion)
    assert f"default {version_default.value}" in shown
    assert next(iter(UpsaleRatio)).value == DEFAULT_RATIO  # the first allowed value: the spec has no default
    assert f"default {DEFAULT_RATIO}" in shown
    languages = row(SUBMIT_UPSCALE_TASK, "language").values
    assert [language.value for language in AcceptLanguage] == list(languages)


def _submit_parser() -> argparse.ArgumentParser:
    subparsers = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = subparsers.choices["submit"]
    return parser
