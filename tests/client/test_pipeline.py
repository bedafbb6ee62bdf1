"""Issue 19's promises that are not a cell of the hostile-server matrix: the provider's status rule in
a wait, redaction that never breaks a valid answer, an answer about another task, a notify_url
password, the download's file mode, and the CLI that never loses a paid task."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import hidream
import hidream._download
import hidream._wait
from hidream import (
    HiDream,
    InvalidInputError,
    MalformedResponseError,
    TaskStatus,
    UnknownTaskStatusError,
)
from hidream.cli import main
from hidream_sim import StandIn, running_standin
from hidream_sim.png import png_size
from tests.doubles.http import BASE_URL, PNG, TOKEN, Script, sync_transport
from tests.doubles.image_host import running_image_host

TASK = "task-1"
IMAGE = "https://storage.example.test/photo.png"
FAST = ("--poll-interval", "0.05")


def result_with(
    *statuses: int, image: str = "https://cdn.example.test/out.png", **extra: Any
) -> dict[str, Any]:
    subs = [
        {"sub_task_id": f"s{i}", "task_status": s, **({"image": image} if s == 1 and image else {})}
        for i, s in enumerate(statuses)
    ]
    return {
        "code": 0,
        "message": "Success",
        "request_id": "rid",
        "result": {"sub_task_results": subs, **extra},
    }


def client(script: Script, token: str = TOKEN) -> HiDream:
    return HiDream(token=token, base_url=BASE_URL, http_client=sync_transport(script))


@pytest.fixture
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hidream._wait, "_sleep", lambda seconds: None)


# --- the provider's status rule, in a wait ------------------------------------------------------


def test_a_wait_stops_at_once_when_every_sub_task_ended_at_an_unknown_status(no_pauses: None) -> None:
    script = Script(httpx.Response(200, json=result_with(2)), httpx.Response(200, json=result_with(7, 9)))
    with client(script) as c, pytest.raises(UnknownTaskStatusError) as caught:
        c.upscale.wait(TASK, timeout=60)
    assert script.sent == 2
    assert caught.value.statuses == (7, 9)
    assert "7, 9" in str(caught.value)
    assert TASK in str(caught.value)


def test_all_succeeded_without_an_image_keeps_the_wait_reading(no_pauses: None) -> None:
    script = Script(
        httpx.Response(200, json=result_with(1, image="")),
        httpx.Response(200, json=result_with(1, image="")),
        httpx.Response(200, json=result_with(1)),
    )
    with client(script) as c:
        done = c.upscale.wait(TASK, timeout=60)
    assert script.sent == 3
    assert done.status is TaskStatus.SUCCEEDED
    assert done.images == ("https://cdn.example.test/out.png",)


def test_one_failed_sub_task_ends_the_wait_while_others_still_run(no_pauses: None) -> None:
    script = Script(httpx.Response(200, json=result_with(2, 3)))
    with client(script) as c, pytest.raises(hidream.TaskFailedError):
        c.upscale.wait(TASK, timeout=60)
    assert script.sent == 1


# --- decoding before redacting ------------------------------------------------------------------


@pytest.mark.parametrize("token", ["result", "message", "Success-0123"])
def test_a_token_that_appears_in_a_valid_answer_does_not_break_it(token: str) -> None:
    body = result_with(1)
    body["message"] = f"Success-0123 for {token}"
    script = Script(httpx.Response(200, json=body))
    with client(script, token=token) as c:
        result = c.upscale.result(TASK)
    assert result.succeeded
    assert token not in result.message
    assert "[REDACTED]" in result.message


def test_an_answer_about_another_task_is_refused_naming_both() -> None:
    script = Script(httpx.Response(200, json=result_with(1, task_id="someone-else")))
    with client(script) as c, pytest.raises(MalformedResponseError) as caught:
        c.upscale.result(TASK)
    assert "someone-else" in str(caught.value)
    assert TASK in str(caught.value)


def test_an_answer_naming_the_task_read_is_accepted() -> None:
    script = Script(httpx.Response(200, json=result_with(1, task_id=TASK)))
    with client(script) as c:
        assert c.upscale.result(TASK).task_id == TASK


# --- notify_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-secret@example.com/cb",
        "user:hunter2-secret@example.com",
        "http://u:hunter2-secret@[::1",
    ],
)
def test_a_notify_url_with_a_password_is_refused_without_echoing_it(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(httpx.Response(200, json={}))
    with client(script) as c, pytest.raises(InvalidInputError) as caught:
        c.upscale.submit(PNG, notify_url=url)
    assert caught.value.field == "notify_url"
    assert "hunter2" not in str(caught.value) + repr(caught.value.args) + caplog.text
    assert script.sent == 0


# --- download: file modes -----------------------------------------------------------------------


def test_a_download_keeps_an_existing_files_mode_and_honours_the_umask(tmp_path: Path) -> None:
    private = tmp_path / "private.png"
    private.write_bytes(b"old")
    private.chmod(0o600)
    fresh = tmp_path / "fresh.png"
    old_mask = os.umask(0o027)
    try:
        with running_image_host() as host, HiDream(token=TOKEN, base_url=BASE_URL) as c:
            c.upscale.download(host.url("/ok.png"), private)
            c.upscale.download(host.url("/ok.png"), fresh)
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    assert private.read_bytes() == fresh.read_bytes() == PNG


# --- the CLI never loses a paid task ------------------------------------------------------------


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)
    with running_standin("faithful", token=TOKEN) as server:
        yield server


def run(*argv: str, out: Any = None) -> tuple[int, str, str]:
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() if isinstance(out, io.StringIO) else "", err.getvalue()


def interrupt(*args: object) -> None:
    raise KeyboardInterrupt


def accepted_id(standin: StandIn, err: str) -> str:
    hint = next(line for line in err.splitlines() if "pick it up again with" in line)
    task_id = hint.split("hidream-upscale result ", 1)[1].split()[0]
    assert task_id in hint.split("pick it up again")[0]  # the id is named before the command too
    return task_id


@pytest.mark.parametrize(
    ("where", "patch"),
    [
        ("during the wait", ("hidream._wait._sleep", interrupt)),
        ("during the download", ("hidream._download._Sink.take", interrupt)),
    ],
)
def test_ctrl_c_after_the_submit_prints_the_task_and_exits_130(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, patch: tuple[str, Any]
) -> None:
    monkeypatch.setattr(*patch)
    code, _, err = run(
        "submit", IMAGE, "--wait", "-o", str(tmp_path / "big.png"), "--base-url", standin.base_url, *FAST
    )
    assert code == 130, err
    assert "Traceback" not in err
    task_id = accepted_id(standin, err)
    assert f"hidream-upscale result {task_id} --wait -o {tmp_path / 'big.png'}" in err
    assert standin.accepted_tasks == 1
    assert list(tmp_path.iterdir()) == []  # no partial file


def test_an_output_that_cannot_be_written_prints_the_task_and_exits_12(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("hidream._download.tempfile.mkstemp", refuse)
    code, _, err = run(
        "submit", IMAGE, "--wait", "-o", str(tmp_path / "big.png"), "--base-url", standin.base_url, *FAST
    )
    assert code == 12, err
    assert "Permission denied" in err
    assert "DownloadError" in err
    accepted_id(standin, err)
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_resumed_task_is_downloaded(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hidream._wait._sleep", interrupt)
    code, _, err = run("submit", IMAGE, "--wait", "--base-url", standin.base_url, *FAST)
    assert code == 130
    task_id = accepted_id(standin, err)
    monkeypatch.undo()
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    target = tmp_path / "big.png"
    code, _out, err = run(
        "result", task_id, "--wait", "-o", str(target), "--base-url", standin.base_url, *FAST
    )
    assert code == 0, err
    assert png_size(target.read_bytes()) == standin.tasks[0].output_size
    assert standin.accepted_tasks == 1  # resuming reads; it never submits


def test_dash_o_dash_writes_the_image_to_stdout(standin: StandIn, tmp_path: Path) -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    code, _, err = run("submit", IMAGE, "-o", "-", "--base-url", standin.base_url, *FAST, out=out)
    assert code == 0, err
    out.flush()
    assert png_size(raw.getvalue()) == standin.tasks[0].output_size
    assert not Path("-").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["submit", IMAGE, "--token", "typed-secret-value"],
        ["submit", IMAGE, "--api-key=typed-secret-value"],
        ["--api-token", "typed-secret-value", "submit", IMAGE],
        ["result", "t", "--password=typed-secret-value"],
    ],
)
def test_a_secret_given_as_an_argument_is_refused_and_never_echoed(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(*argv)
    captured = capsys.readouterr()
    assert code == 2
    assert "typed-secret-value" not in out + err + captured.out + captured.err
    assert "HIDREAM_API_TOKEN" in err


def test_argparse_usage_errors_never_echo_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    with pytest.raises(SystemExit) as caught:
        main(["submit", IMAGE, "--ratio", TOKEN])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert "[REDACTED]" in captured.err


def test_json_output_of_a_result_is_the_redacted_envelope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = result_with(1)
    body["message"] = "ok " + "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    raw = json.dumps(body).replace("\\\\u", "\\u")
    script = Script(httpx.Response(200, content=raw.encode(), headers={"Content-Type": "application/json"}))
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.setattr(
        "hidream._cli_tasks.HiDream",
        lambda **kw: HiDream(
            http_client=sync_transport(script),
            base_url=BASE_URL,
            **{k: v for k, v in kw.items() if k != "base_url"},
        ),
    )
    code, out, err = run("result", TASK, "--json", "-v")
    assert code == 0, err
    assert TOKEN not in out + err
    assert json.loads(out)["message"] == "ok [REDACTED]"


# --- the own pool keeps no cookies --------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_clients_own_pool_sends_no_cookie_a_server_set(mode: str) -> None:
    from tests.doubles.http import ACCEPTED, HostileServer, answer

    def reply(server: HostileServer, connection: Any, request: Any) -> None:
        body = json.dumps(ACCEPTED).encode()
        server.send(
            connection,
            answer(200, body, {"Content-Type": "application/json", "Set-Cookie": "s=planted; Path=/"}),
        )

    with HostileServer(reply) as server:
        if mode == "sync":
            with HiDream(token=TOKEN, base_url=server.url + "/gw") as c:
                c.upscale.submit(PNG)
                c.upscale.submit(PNG)
        else:
            import anyio

            from hidream import AsyncHiDream

            async def run() -> None:
                async with AsyncHiDream(token=TOKEN, base_url=server.url + "/gw") as c:
                    await c.upscale.submit(PNG)
                    await c.upscale.submit(PNG)

            anyio.run(run)
    assert len(server.received) == 2
    assert all("cookie" not in request.headers for request in server.received)


def test_a_closed_stdout_under_dash_o_dash_prints_the_task_and_exits_12(standin: StandIn) -> None:
    class Closed(io.BytesIO):
        def write(self, data: Any) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    out = io.TextIOWrapper(Closed(), encoding="utf-8")
    code, _, err = run("submit", IMAGE, "-o", "-", "--base-url", standin.base_url, *FAST, out=out)
    assert code == 12, err
    assert "Broken pipe" in err
    assert "Traceback" not in err
    accepted_id(standin, err)


def test_unrecognized_arguments_show_option_names_not_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["submit", IMAGE, "--tokn", "typed-secret-value", "--api-kee=other-secret"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--tokn" in err
    assert "--api-kee" in err
    assert "typed-secret-value" not in err
    assert "other-secret" not in err
    assert "2 value(s), not shown" in err


@pytest.mark.slow
def test_a_real_ctrl_c_during_the_wait_of_the_installed_command(standin: StandIn, tmp_path: Path) -> None:
    """From outside: the console script, a real SIGINT once the task was accepted."""
    import signal
    import subprocess
    import sys
    import time

    script = Path(sys.executable).parent / "hidream-upscale"
    target = tmp_path / "big.png"
    process = subprocess.Popen(
        [str(script), "submit", IMAGE, "--wait", "-o", str(target), "--base-url", standin.base_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"HIDREAM_API_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
    )
    try:
        give_up = time.monotonic() + 30
        while standin.accepted_tasks == 0 and time.monotonic() < give_up:
            time.sleep(0.02)
        time.sleep(0.3)  # inside the first pause of the wait (1 s)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "pick it up again with: hidream-upscale result " in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []
