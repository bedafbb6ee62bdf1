"""`hidream-upscale submit … --wait -o big.png` and `hidream-upscale result TASK_ID`, against the stand-in."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hidream import TaskResult
from hidream.cli import EPILOG, exit_code, main
from hidream.errors import DownloadError, HiDreamError, TaskFailedError, TaskRefusedError, WaitTimeoutError
from hidream_sim import StandIn, running_standin
from hidream_sim.png import png_size

TOKEN = "cli-tasks-token"
IMAGE = "https://storage.example.test/photo.png"
FAST = ("--poll-interval", "0.05")  # the stand-in moves one status per read


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin("faithful", token=TOKEN) as server:
        yield server


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_submit_wait_output_downloads_the_image(standin: StandIn, tmp_path: Path) -> None:
    target = tmp_path / "big.png"
    code, out, err = run(
        "submit", IMAGE, "--ratio", "4", "--wait", "-o", str(target), "--base-url", standin.base_url, *FAST
    )
    assert code == 0, err
    assert out.strip() == str(target)
    assert png_size(target.read_bytes()) == (64, 64)  # the simulator's 16x16 URL input, times 4
    assert err == ""  # not a terminal: no progress at all
    assert standin.accepted_tasks == 1
    assert standin.book.image_requests_with_auth == 0


def test_progress_is_a_status_line_on_a_terminal(standin: StandIn) -> None:
    terminal = Terminal()
    code, out, _ = run("submit", IMAGE, "--wait", "--base-url", standin.base_url, *FAST, err=terminal)
    assert code == 0
    lines = terminal.getvalue()
    assert lines.count("\r\x1b[K") == 3  # one rewrite per read: queued, in progress, succeeded
    assert "queued" in lines
    assert "in progress" in lines
    assert "succeeded" in lines
    assert lines.endswith("\n")
    assert out.strip().startswith(standin.base_url.split("/api-pub")[0] + "/files/")  # the image URL


def test_result_prints_the_status_then_the_images(standin: StandIn) -> None:
    code, out, _ = run("submit", IMAGE, "--base-url", standin.base_url)
    task_id = out.strip()
    statuses = [run("result", task_id, "--base-url", standin.base_url)[1].splitlines() for _ in range(3)]
    assert [lines[0] for lines in statuses] == ["queued", "in_progress", "succeeded"]
    assert len(statuses[-1]) == 2  # and the one image URL
    code, out, _ = run("result", task_id, "--json", "--base-url", standin.base_url)
    assert code == 0
    assert json.loads(out)["result"]["sub_task_results"][0]["task_status"] == 1
    assert standin.accepted_tasks == 1


def test_result_wait_output(standin: StandIn, tmp_path: Path) -> None:
    _, out, _ = run("submit", IMAGE, "--base-url", standin.base_url)
    code, out, _ = run(
        "result", out.strip(), "-o", str(tmp_path / "x.png"), "--base-url", standin.base_url, *FAST
    )
    assert code == 0
    assert png_size((tmp_path / "x.png").read_bytes()) == standin.tasks[0].output_size


@pytest.mark.parametrize(
    ("image", "code"), [("https://x.test/fail.png", 9), ("https://x.test/unsafe.png", 10)]
)
def test_a_task_that_ends_without_its_image_exits_with_its_code(
    standin: StandIn, image: str, code: int
) -> None:
    status, out, err = run("submit", image, "--wait", "--base-url", standin.base_url, *FAST)
    assert status == code
    assert out == ""
    assert "task" in err


def test_a_wait_that_times_out_names_the_task(standin: StandIn) -> None:
    status, _, err = run(
        "submit",
        IMAGE,
        "--wait",
        "--wait-timeout",
        "0.01",
        "--poll-interval",
        "0.05",
        "--base-url",
        standin.base_url,
    )
    assert status == 11
    assert "WaitTimeoutError" in err
    assert "client.upscale.result(" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["-o", "/no/such/folder/big.png"], "does not exist"),
        (["--poll-interval", "0"], "--poll-interval"),
        (["--wait-timeout", "-1"], "--wait-timeout"),
    ],
)
def test_a_wrong_wait_option_is_a_usage_error_before_any_task(
    standin: StandIn, argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        run("submit", IMAGE, "--base-url", standin.base_url, *argv)
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
    assert standin.requests == 0


def test_an_unknown_task_is_exit_4(standin: StandIn) -> None:
    code, out, _ = run("result", "no-such-task", "--json", "--base-url", standin.base_url)
    assert code == 4
    assert json.loads(out)["error"]["type"] == "RejectedRequestError"


def test_the_new_exit_codes_are_documented() -> None:
    result = TaskResult(task_id="t", sub_tasks=(), request_id=None, message="", envelope={})
    errors: list[tuple[HiDreamError, int]] = [
        (TaskFailedError("failed", task_id="t", result=result), 9),
        (TaskRefusedError("refused", task_id="t", result=result), 10),
        (WaitTimeoutError("late", task_id="t", waited=1.0, result=None), 11),
        (DownloadError("no image", url="https://x.test/a.png"), 12),
    ]
    for error, code in errors:
        assert exit_code(error) == code
        assert re.search(rf"^ *{code}  ", EPILOG, re.MULTILINE), code


@pytest.mark.slow
def test_the_console_script_waits_and_writes_nothing_to_a_pipe(standin: StandIn, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "hidream-upscale"
    target = tmp_path / "big.png"
    done = subprocess.run(
        [str(script), "submit", IMAGE, "--wait", "-o", str(target), "--base-url", standin.base_url, *FAST],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"HIDREAM_API_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip() == str(target)
    assert png_size(target.read_bytes()) == standin.tasks[0].output_size
