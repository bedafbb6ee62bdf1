"""`hidream.batch` and `hidream-upscale batch` on the stand-in: resumable, never paying twice, with progress.

The stand-in counts the tasks it created per image (tests.batch.faulty_standin), so "no second task for
any input" is checked on the service's side, whatever the client believes.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import anyio
import pytest

import hidream
import hidream.batch
from hidream import _manifest
from hidream._cli_batch import EXIT_INTERRUPTED, EXIT_SOME_FAILED, EXIT_UNFINISHED, _Display
from hidream._images import image_format
from hidream.cli import main
from tests.batch.faulty_standin import FaultyStandIn, running_faulty_standin

TOKEN = "batch-test-token"
POLL = ["--poll-interval", "0.05"]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)


@pytest.fixture
def standin() -> Iterator[FaultyStandIn]:
    with running_faulty_standin(TOKEN) as server:
        yield server


def images(folder: Path, count: int, start: int = 0) -> list[Path]:
    """`count` distinct small PNG files (the stand-in checks the magic bytes only)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        path = folder / f"photo-{n:04d}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + f"image number {n}".encode())
        paths.append(path)
    return paths


def sent_as(path: Path) -> str:
    """The `image` the client sends for a file: its base64."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def outputs(outdir: Path) -> list[Path]:
    return sorted(p for p in outdir.rglob("*") if p.is_file() and p.name != hidream.batch.MANIFEST_NAME)


def assert_whole_outputs(outdir: Path, *, killed: bool = False) -> None:
    """No partial output: every file is a finished image named `*_x<ratio>.<ext>`. Only after a kill,
    a download's hidden temporary file (`.<output>.<random>.part`) may be left; the next run removes it."""
    for path in outputs(outdir):
        if killed and path.name.startswith(".") and path.suffix == ".part":
            continue
        assert path.stem.endswith(("_x2", "_x4")) or "_x2-" in path.stem, path
        assert image_format(path.read_bytes()) is not None, path


def run(
    client: hidream.HiDream, inputs: list[Any] | hidream.batch.BatchPlan, outdir: Path | None, **options: Any
) -> hidream.batch.BatchSummary:
    options.setdefault("poll_interval", 0.05)
    return hidream.batch.run(client, inputs, outdir, **options)


@pytest.mark.slow
def test_hundreds_of_inputs_with_rate_limits_failures_and_lost_answers(tmp_path: Path) -> None:
    files = images(tmp_path / "in" / "sub", 260)
    urls = [f"https://img.example.test/{name}-{n}.png" for n in range(40) for name in ["ok"]]
    urls += [f"https://img.example.test/fail-{n}.png" for n in range(10)]
    urls += [f"https://img.example.test/unsafe-{n}.jpg" for n in range(5)]
    (tmp_path / "urls.txt").write_text("# product shots\n\n" + "\n".join(urls) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    total = len(files) + len(urls)
    with (
        running_faulty_standin(TOKEN, rate_limited=0.15, lost=0.04, seed=23) as standin,
        hidream.HiDream(
            token=TOKEN, base_url=standin.base_url, retry=hidream.RetryPolicy(max_attempts=6)
        ) as client,
    ):
        events: list[hidream.batch.BatchEvent] = []
        first = run(
            client, [tmp_path / "in", tmp_path / "urls.txt"], out, concurrency=16, on_event=events.append
        )
        c = first.counts
        per_image = standin.tasks_per_image
        assert max(per_image.values()) == 1  # no input paid twice
        assert standin.faults.rate_limits > 20
        assert standin.faults.lost_answers > 3
        assert c.total == total
        assert c.sent == standin.accepted_tasks + c.not_accepted
        assert c.lost == standin.faults.lost_answers  # each lost answer reported, none hidden
        assert c.failed == 15  # the stand-in fails "fail" and refuses "unsafe" images
        assert c.done + c.failed + c.lost + c.not_accepted == total
        assert len(outputs(out)) == c.done
        assert_whole_outputs(out)
        assert not first.finished
        assert {e.source for e in first.problems if e.state == "lost"} <= {str(f) for f in files} | set(urls)
        assert events[-1].counts == c

        # Again: nothing done is redone, no lost or failed input is resubmitted; only inputs that never
        # got a task (refused, rate limited) are submitted.
        before = standin.accepted_tasks
        second = run(client, [tmp_path / "in", tmp_path / "urls.txt"], out, concurrency=16)
        assert second.counts.skipped == c.done
        assert second.counts.lost == c.lost
        assert second.counts.failed == c.failed
        assert second.counts.sent == c.not_accepted
        assert max(standin.tasks_per_image.values()) == 1
        assert standin.accepted_tasks - before <= c.not_accepted

        # Only when asked, lost answers are submitted again (they may be paid twice).
        lost_files = [e.source for e in second.problems if e.state == "lost"]
        third = run(client, [tmp_path / "in", tmp_path / "urls.txt"], out, concurrency=16, resubmit_lost=True)
        assert third.counts.sent >= len(lost_files)
    records = list(_manifest.records(first.manifest))
    assert TOKEN not in first.manifest.read_text(encoding="utf-8")
    # Every submit's line was written before its answer, and every accepted task id is in the manifest.
    accepted = [r for r in records if r["event"] == "accepted"]
    assert len({r["task_id"] for r in accepted}) == len(accepted)
    for record in accepted:
        earlier = [r for r in records[: records.index(record)] if r["key"] == record["key"]]
        assert earlier[-1]["event"] == "submitting"


def test_max_tasks_is_a_hard_cap_on_submits(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 20)
    args = [str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--base-url", standin.base_url, *POLL]
    code, out, err = cli("batch", *args, "--max-tasks", "5", "--concurrency", "8")
    assert code == EXIT_UNFINISHED, err
    assert standin.accepted_tasks == 5
    assert standin.requests >= 5
    assert "capped" in out
    assert "run the same command again" in err
    code, out, _ = cli("batch", *args, "--max-tasks", "5")
    assert code == EXIT_UNFINISHED
    assert standin.accepted_tasks == 10
    code, out, _ = cli("batch", *args, "--max-tasks", "0", "--dry-run")
    assert "0 task(s) would be created" in out
    code, out, _ = cli("batch", *args)
    assert code == 0, out
    assert standin.accepted_tasks == 20
    assert max(standin.tasks_per_image.values()) == 1
    assert len(outputs(tmp_path / "out")) == 20


def test_dry_run_sends_nothing_and_writes_nothing(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 7)
    (tmp_path / "in" / "notes.png").write_text("not an image", encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, err = cli(
        "batch", str(tmp_path / "in"), "-o", str(out_dir), "--dry-run", "--base-url", standin.base_url
    )
    assert code == 0, err
    assert standin.requests == 0
    assert not out_dir.exists()
    assert out.count("submit ") == 7
    assert "invalid" in out
    assert "7 task(s) would be created" in out


def test_dry_run_needs_no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HIDREAM_API_TOKEN")
    images(tmp_path / "in", 2)
    code, out, _ = cli("batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--dry-run")
    assert code == 0
    assert "2 task(s) would be created" in out


def test_a_renamed_or_copied_file_is_not_paid_twice(standin: FaultyStandIn, tmp_path: Path) -> None:
    [first, second] = images(tmp_path / "in", 2)
    shutil.copy(first, tmp_path / "in" / "copy-of-first.png")
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        summary = run(client, [tmp_path / "in"], tmp_path / "out")
        assert summary.counts.done == 2
        assert summary.counts.duplicate == 1
        assert summary.finished
        first.rename(tmp_path / "in" / "renamed.png")
        again = run(client, [tmp_path / "in"], tmp_path / "out")
    assert again.counts.skipped == 2
    assert again.counts.sent == 0
    assert standin.accepted_tasks == 2
    # Another ratio is another task (another output), so it is not a duplicate.
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        four = run(client, [second], tmp_path / "out", upsale_ratio=4)
    assert four.counts.done == 1
    assert standin.accepted_tasks == 3
    assert (tmp_path / "out" / "photo-0001_x4.png").is_file()


def test_accepted_tasks_are_waited_for_not_resubmitted(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 6)
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        # The wait ends before the tasks are final (the stand-in needs three reads).
        early = run(client, [tmp_path / "in"], tmp_path / "out", wait_timeout=0.0)
        assert early.counts.waiting == 6
        assert early.counts.done == 0
        later = run(client, [tmp_path / "in"], tmp_path / "out")
    assert later.counts.done == 6
    assert later.counts.sent == 0
    assert later.finished
    assert standin.accepted_tasks == 6
    # An output deleted by hand is downloaded again from its task, still no new task.
    outputs(tmp_path / "out")[0].unlink()
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        again = run(client, [tmp_path / "in"], tmp_path / "out")
    assert again.counts.done == 1
    assert again.counts.skipped == 5
    assert standin.accepted_tasks == 6


def test_a_refused_token_stops_the_batch(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 10)
    with hidream.HiDream(token="wrong-token", base_url=standin.base_url) as client:
        summary = run(client, [tmp_path / "in"], tmp_path / "out", concurrency=2)
    assert summary.aborted
    assert "token was refused" in summary.aborted
    assert summary.counts.sent <= 2
    assert summary.counts.pending >= 8
    assert "wrong-token" not in summary.manifest.read_text(encoding="utf-8")


def test_async_batch(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 12)
    (tmp_path / "urls.txt").write_text("https://x.test/fail-1.png\nhttps://x.test/b.webp\n", encoding="utf-8")

    async def main_() -> hidream.batch.BatchSummary:
        async with hidream.AsyncHiDream(token=TOKEN, base_url=standin.base_url) as client:
            return await hidream.batch.arun(
                client,
                [tmp_path / "in", tmp_path / "urls.txt"],
                tmp_path / "out",
                concurrency=5,
                poll_interval=0.05,
            )

    summary = anyio.run(main_)
    assert summary.counts.done == 13
    assert summary.counts.failed == 1
    assert [e.detail for e in summary.problems] == ["task ended failed"]
    assert standin.accepted_tasks == 14
    assert max(standin.tasks_per_image.values()) == 1
    assert (tmp_path / "out" / "b_x2.png").is_file()  # the output's suffix is the image's own (.png)
    assert_whole_outputs(tmp_path / "out")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [([], 0), (["https://x.test/unsafe.png"], EXIT_SOME_FAILED), (["--max-tasks", "1"], EXIT_UNFINISHED)],
)
def test_exit_codes_say_whether_everything_finished(
    standin: FaultyStandIn, tmp_path: Path, extra: list[str], expected: int
) -> None:
    images(tmp_path / "in", 2)
    code, out, err = cli(
        "batch",
        str(tmp_path / "in"),
        *extra,
        "-o",
        str(tmp_path / "o"),
        "--base-url",
        standin.base_url,
        *POLL,
    )
    assert code == expected, (out, err)
    assert "batch summary" in out
    assert "total" in out
    assert TOKEN not in out + err


def test_bad_arguments_send_nothing(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 1)
    for argv in (
        [str(tmp_path / "missing")],
        [str(tmp_path / "in"), "--concurrency", "0"],
        [str(tmp_path / "in"), "--max-tasks", "-1"],
    ):
        code, _, err = cli("batch", *argv, "-o", str(tmp_path / "o"), "--base-url", standin.base_url)
        assert code == 2, err
        assert "InvalidInputError" in err
    (tmp_path / "bad.txt").write_text("https://ok.test/a.png\nftp://nope/b.png\n", encoding="utf-8")
    code, _, err = cli(
        "batch", str(tmp_path / "bad.txt"), "-o", str(tmp_path / "o"), "--base-url", standin.base_url
    )
    assert code == 2
    assert "line 2" in err
    assert standin.requests == 0


def test_progress_bar_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    display = _Display(screen, 3)
    counts = hidream.batch.Counts(total=3, sent=2, running=1, done=1)
    display(hidream.batch.BatchEvent("a.png", "done", counts, output="out/a_x2.png"))
    display.close()
    text = screen.getvalue()
    assert "upscaling" in text
    assert "1/3" in text
    assert "img/s" in text
    assert "running 1" in text


def test_plain_lines_when_not_a_terminal() -> None:
    screen = io.StringIO()
    display = _Display(screen, 1)
    display(
        hidream.batch.BatchEvent("a.png", "done", hidream.batch.Counts(total=1, done=1), output="o/a_x2.png")
    )
    assert screen.getvalue() == "done         a.png -> o/a_x2.png\n"


# --- the manifest ----------------------------------------------------------------------------------


def test_a_torn_last_line_is_ignored_and_cut_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    with _manifest.Journal(path) as journal:
        journal.append("k1", "submitting", source="a.png")
        journal.append("k1", "accepted", task_id="t1")
        journal.append("k2", "submitting", source="b.png")
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"v":1,"key":"k2","event":"acc')  # a crash in the middle of a write
    entries = _manifest.read(path)
    assert entries["k1"].state == "accepted"
    assert entries["k1"].task_id == "t1"
    assert entries["k2"].answer_lost  # its answer was never recorded
    with _manifest.Journal(path) as journal:
        journal.append("k2", "lost", detail="x")
    assert path.read_bytes().startswith(whole)
    assert path.read_bytes().count(b"\n") == 4
    assert _manifest.read(path)["k2"].state == "lost"


def test_a_damaged_line_in_the_middle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(
        '{"v":1,"key":"k","event":"done"}\nnot json\n{"v":1,"key":"k","event":"done"}\n', encoding="utf-8"
    )
    with pytest.raises(hidream.InvalidInputError, match="line 2"):
        _manifest.read(path)


def test_one_writer_per_manifest(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    with _manifest.Journal(path), pytest.raises(hidream.InvalidInputError, match="in use by another batch"):
        _manifest.Journal(path)


# --- kills and interrupts ---------------------------------------------------------------------------


def _batch_process(standin: FaultyStandIn, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    script = shutil.which("hidream-upscale", path=str(Path(sys.executable).parent))
    assert script, "hidream-upscale is not installed: run `make install`"
    env = {**os.environ, "HIDREAM_API_TOKEN": TOKEN, "HIDREAM_API_BASE_URL": standin.base_url}
    argv = [
        script,
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--concurrency",
        "8",
        *POLL,
        *extra,
    ]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_kill_at_random_moments_then_resume_never_pays_twice(tmp_path: Path) -> None:
    files = images(tmp_path / "in", 80)
    rng = random.Random(2323)  # noqa: S311 - reproducible moments, not secrets
    with running_faulty_standin(TOKEN, rate_limited=0.1, lost=0.03, seed=5) as standin:
        for _ in range(6):
            process = _batch_process(standin, tmp_path)
            # A random moment of the work: after some inputs have been reported, then a little later.
            for _ in range(rng.randrange(0, 12)):
                process.stdout.readline()  # type: ignore[union-attr]
            time.sleep(rng.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            assert_whole_outputs(tmp_path / "out", killed=True)
        final = _batch_process(standin, tmp_path)
        _out, err = final.communicate(timeout=120)
        per_image = standin.tasks_per_image
    assert final.returncode in (0, EXIT_SOME_FAILED, EXIT_UNFINISHED), err
    assert max(per_image.values()) == 1, "an input got a second task"
    entries = _manifest.read(tmp_path / "out" / hidream.batch.MANIFEST_NAME)
    states = [entry.state for entry in entries.values()]
    assert len(entries) == len(files)
    assert set(states) <= {"done", "lost", "submitting", "not_accepted"}
    done = [entry for entry in entries.values() if entry.state == "done"]
    assert len(outputs(tmp_path / "out")) == len(done)
    # Every input done has exactly one task at the stand-in; every task the stand-in made is either
    # done or reported as lost (a task whose answer a kill or a fault lost).
    assert sum(per_image[sent_as(f)] for f in files) == standin.accepted_tasks
    assert len(done) + states.count("lost") + states.count("submitting") >= standin.accepted_tasks
    assert_whole_outputs(tmp_path / "out")


@pytest.mark.slow
def test_ctrl_c_stops_submitting_and_says_how_to_resume(tmp_path: Path) -> None:
    images(tmp_path / "in", 60)
    with running_faulty_standin(TOKEN) as standin:
        process = _batch_process(standin, tmp_path, "--poll-interval", "0.3")
        process.stdout.readline()  # type: ignore[union-attr]  # working: an input is done
        process.send_signal(signal.SIGINT)
        stopped_at = time.monotonic()
        _, err = process.communicate(timeout=60)
        assert time.monotonic() - stopped_at < 15
        assert process.returncode == EXIT_INTERRUPTED, err
        assert "stopping: no new submits" in err
        assert "run the same command again" in err
        assert "hidream-upscale batch" in err
        tasks_then = standin.accepted_tasks
        entries = _manifest.read(tmp_path / "out" / hidream.batch.MANIFEST_NAME)
        # Every submit sent has its answer recorded: nothing is left "submitting".
        assert not [e for e in entries.values() if e.state == "submitting"]
        assert sum(1 for e in entries.values() if e.task_id) == tasks_then
        resumed = _batch_process(standin, tmp_path)
        _, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        assert standin.accepted_tasks == 60
        assert max(standin.tasks_per_image.values()) == 1

    # A second Ctrl-C exits at once, even while submits sent are still waiting for their answers.
    shutil.rmtree(tmp_path / "out")
    with running_faulty_standin(TOKEN, answer_delay=5.0) as slow:
        process = _batch_process(slow, tmp_path)
        while slow.requests == 0 and process.poll() is None:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        first_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
        assert time.monotonic() - first_at < 3.0
        assert process.returncode == EXIT_INTERRUPTED
        assert "stopped at once" in err
    for line in (tmp_path / "out" / hidream.batch.MANIFEST_NAME).read_text(encoding="utf-8").splitlines():
        json.loads(line)


def test_a_killed_download_s_temporary_file_is_removed_by_the_next_run(
    standin: FaultyStandIn, tmp_path: Path
) -> None:
    images(tmp_path / "in", 1)
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    stale = out / "sub" / ".photo-0000_x2.png.k1lled9.part"
    stale.write_bytes(b"\x89PNG half")
    mine = out / ".notes.part"  # not a download's: left alone
    mine.write_text("keep", encoding="utf-8")
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        run(client, [tmp_path / "in"], out)
    assert not stale.exists()
    assert mine.exists()


def test_async_stop_records_every_answer_sent(standin: FaultyStandIn, tmp_path: Path) -> None:
    images(tmp_path / "in", 30)
    stop = threading.Event()

    def on_event(event: hidream.batch.BatchEvent) -> None:
        if event.state == "running":
            stop.set()

    async def main_() -> hidream.batch.BatchSummary:
        async with hidream.AsyncHiDream(token=TOKEN, base_url=standin.base_url) as client:
            return await hidream.batch.arun(
                client, [tmp_path / "in"], tmp_path / "out", poll_interval=0.05, on_event=on_event, stop=stop
            )

    summary = anyio.run(main_)
    assert summary.interrupted
    assert summary.counts.pending >= 30 - hidream.batch.DEFAULT_CONCURRENCY
    entries = _manifest.read(summary.manifest)
    assert not [e for e in entries.values() if e.answer_lost]
    assert sum(1 for e in entries.values() if e.task_id) == standin.accepted_tasks
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        again = run(client, [tmp_path / "in"], tmp_path / "out")
    assert again.finished
    assert max(standin.tasks_per_image.values()) == 1


def test_a_plan_made_before_another_run_finished_pays_nothing_twice(
    standin: FaultyStandIn, tmp_path: Path
) -> None:
    images(tmp_path / "in", 5)
    stale = hidream.batch.plan([tmp_path / "in"], tmp_path / "out")
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        first = run(client, stale, None)
        second = run(client, stale, None)  # planned when nothing was done yet
    assert first.counts.done == 5
    assert second.counts.skipped == 5
    assert second.counts.sent == 0
    assert standin.accepted_tasks == 5


def test_a_new_input_never_takes_the_output_name_of_an_earlier_one(
    standin: FaultyStandIn, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n first")
    with hidream.HiDream(token=TOKEN, base_url=standin.base_url) as client:
        run(client, [inputs], tmp_path / "out")
        before = (tmp_path / "out" / "a_x2.png").stat().st_ino  # a rename over it would change it
        (inputs / "a.jpg").write_bytes(b"\xff\xd8\xff second")  # sorts before a.png: would want a_x2
        second = run(client, [inputs], tmp_path / "out")
    assert second.counts.done == 1
    assert second.counts.skipped == 1
    names = sorted(p.name for p in outputs(tmp_path / "out"))
    assert len(names) == 2
    assert "a_x2.png" in names
    assert (tmp_path / "out" / "a_x2.png").stat().st_ino == before  # the same file, not replaced
    [other] = [n for n in names if n != "a_x2.png"]
    assert re.fullmatch(r"a_x2-[0-9a-f]{8}\.png", other)


# Every way a submit can fail, and what the manifest must make of it: "not_accepted" only when no task
# can exist (the next run submits it again, for free); otherwise "lost" (reported, never resubmitted).
SUBMIT_FAILURES: list[tuple[Exception, str]] = [
    (hidream.InvalidInputError("image", "too large"), "not_accepted"),
    (hidream.RejectedRequestError("bad parameter", code=1001), "not_accepted"),
    (hidream.RateLimitError("slow down", http_status=429), "not_accepted"),
    (hidream.APIConnectionError("refused", request_sent=False), "not_accepted"),
    (hidream.APITimeoutError("connect", phase="connect", request_sent=False), "not_accepted"),
    (hidream.APITimeoutError("read", phase="read", request_sent=True), "lost"),
    (hidream.APITimeoutError("deadline", phase="deadline", request_sent=True), "lost"),
    (hidream.APIConnectionError("reset", request_sent=True), "lost"),
    (hidream.ServerError("bad gateway", http_status=502), "lost"),
    (hidream.MalformedServerError("html 502", http_status=502), "lost"),
    (hidream.MalformedResponseError("not the envelope", http_status=200), "lost"),
    (RuntimeError("not the client's error"), "lost"),
]


class _FailingClient:
    """Submits fail with one error; nothing else is reached."""

    def __init__(self, error: Exception) -> None:
        self.upscale = self
        self.error = error
        self.submits = 0

    def submit(self, image: object, **_: object) -> None:
        self.submits += 1
        raise self.error


@pytest.mark.parametrize(
    ("error", "event"), SUBMIT_FAILURES, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v
)
def test_each_submit_failure_is_recorded_as_no_task_or_lost(
    tmp_path: Path, error: Exception, event: str
) -> None:
    images(tmp_path / "in", 2)
    client = _FailingClient(error)
    summary = hidream.batch.run(
        cast("hidream.HiDream", client), [tmp_path / "in"], tmp_path / "out", concurrency=1
    )
    events = [r["event"] for r in _manifest.records(summary.manifest)]
    assert events == ["submitting", event] * 2
    assert getattr(summary.counts, event) == 2
    again = hidream.batch.plan([tmp_path / "in"], tmp_path / "out")
    # No task: submitted again next time. Lost: reported, and submitted again only on request.
    assert again.count(hidream.batch.SUBMIT) == (2 if event == "not_accepted" else 0)
    assert again.count(hidream.batch.LOST) == (0 if event == "not_accepted" else 2)
    asked = hidream.batch.plan([tmp_path / "in"], tmp_path / "out", resubmit_lost=True)
    assert asked.count(hidream.batch.SUBMIT) == 2


def test_a_refused_token_is_no_task_and_stops_everything(tmp_path: Path) -> None:
    images(tmp_path / "in", 9)
    client = _FailingClient(hidream.AuthenticationError("refused", http_status=401))
    summary = hidream.batch.run(
        cast("hidream.HiDream", client), [tmp_path / "in"], tmp_path / "out", concurrency=1
    )
    assert client.submits == 1
    assert summary.aborted
    assert summary.counts.not_accepted == 1
    assert summary.counts.pending == 8
