"""`hidream-upscale`'s task commands: `submit … --wait [-o PATH]` and `result TASK_ID`.

Progress goes to stderr as one status line rewritten in place, and only when stderr is a terminal: a
pipe or a file gets nothing, so scripts read stdout alone. `cli.py` registers `result` from here and
calls `follow_to_end` after an accepted `submit --wait`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

from hidream import _cli_output as output
from hidream._client import HiDream
from hidream._core import DEFAULT_DEADLINE
from hidream._model import TaskResult
from hidream._paths import MAX_NAME_BYTES, check_target
from hidream._wait import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, MIN_POLL_INTERVAL
from hidream.errors import DownloadError, HiDreamError, TaskFailedError, TaskRefusedError


def _seconds(minimum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not minimum <= value < float("inf") or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a number of seconds >= {minimum:g}, got {text}")
        return value

    return parse


STDOUT: Final = "-"


def _output(text: str) -> Path | str:
    """Checked before anything is sent: a wrong -o must not cost a task. `-` is standard output."""
    if text == STDOUT:
        return STDOUT
    path = Path(text).expanduser()
    if len(path.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise argparse.ArgumentTypeError(f"the file name is longer than {MAX_NAME_BYTES} bytes")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory; give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} does not exist")
    return path


def check_output(args: argparse.Namespace) -> None:
    """-o PATH checked by `_paths`' rules before anything is paid for: an existing file kept unless
    --force, a read-only one always, a device or FIFO written in place; raises `InvalidInputError`."""
    if isinstance(args.output, Path):
        check_target(args.output, overwrite=args.force, field="-o", how="--force")


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="wait until the task is finished; print its image URL(s)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=_output,
        metavar="PATH",
        help="download the output image to PATH, or - for stdout (implies --wait; several: PATH-1.png, "
        "PATH-2.png…)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="-o: replace an existing file (a read-only file is never replaced)",
    )
    parser.add_argument(
        "--wait-timeout",
        type=_seconds(0.0),
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="S",
        help="give up waiting after S seconds (default %(default)s)",
    )
    parser.add_argument(
        "--poll-interval",
        type=_seconds(MIN_POLL_INTERVAL),
        default=DEFAULT_POLL_INTERVAL,
        metavar="S",
        help="longest pause between result reads (default %(default)s)",
    )


def add_result_command(commands: output.Subcommands, epilog: str) -> argparse.ArgumentParser:
    result = commands.add_parser(
        "result",
        help="read a task's status and output image URLs (a free read)",
        description=(
            "Read a task's status: the first line is queued, in_progress, succeeded, failed or refused; "
            "then one output image URL per line. With --wait, wait until it is finished; with -o, "
            "download the image."
        ),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    result.add_argument("task_id", metavar="TASK_ID", help="the task id the submit printed")
    add_wait_options(result)
    result.add_argument("--base-url", metavar="URL", help="gateway root (default $HIDREAM_API_BASE_URL)")
    result.add_argument(
        "--deadline",
        type=_seconds(0.0),
        default=DEFAULT_DEADLINE,
        metavar="S",
        help="seconds for each read (retries included) and each download (default %(default)s)",
    )
    result.add_argument(
        "--json", action="store_true", help="print the result envelope (or the error) as JSON"
    )
    result.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    return result


class Progress:
    """The status line: on a terminal, rewritten after each read; elsewhere, nothing at all."""

    def __init__(self, stream: TextIO, task_id: str) -> None:
        self._stream = stream
        self._task_id = task_id
        self._started = time.monotonic()
        self._shown = False
        try:
            self.enabled = stream.isatty()
        except (AttributeError, ValueError):  # a closed or odd stream: no progress
            self.enabled = False

    def __call__(self, result: TaskResult) -> None:
        if not self.enabled:
            return
        seconds = time.monotonic() - self._started
        status = result.status.name.lower().replace("_", " ")
        self._stream.write(
            f"\r\x1b[Khidream-upscale: task {output.inert(self._task_id)}: {status} ({seconds:.0f}s)"
        )
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()


@dataclass
class Followed:
    result: TaskResult
    files: list[Path] = field(default_factory=list)
    to_stdout: bool = False


def _to_stdout(client: HiDream, result: TaskResult, out: TextIO, deadline: float) -> None:
    """`-o -`: the one output image, checked and whole, then written to stdout as bytes."""
    if len(result.images) != 1:
        raise DownloadError(
            f"-o - writes one image, and task {result.task_id} has {len(result.images)}: give -o PATH",
            url="",
        )
    binary = getattr(out, "buffer", None)
    if binary is None:
        raise DownloadError("-o -: standard output takes no bytes here", url="")
    with tempfile.TemporaryDirectory(prefix="hidream-") as folder:
        [path] = _saved(client.upscale.download, result, Path(folder) / "image", deadline=deadline)
        binary.write(path.read_bytes())
        binary.flush()


def _saved(download: Callable[..., list[Path]], *args: object, **options: object) -> list[Path]:
    """The download of a task's image; however it fails (the image host unreachable too), a
    `DownloadError`: the task is paid for and its image not saved, which is exit 12, never 8."""
    try:
        return download(*args, **options)
    except DownloadError:
        raise
    except HiDreamError as error:
        raise DownloadError(f"the image was not saved: {type(error).__name__}: {error}", url="") from None


def follow(client: HiDream, task_id: str, args: argparse.Namespace, err: TextIO, out: TextIO) -> Followed:
    """Wait for the task, and download its image when -o asks."""
    progress = Progress(err, task_id)
    try:
        result = client.upscale.wait(
            task_id, timeout=args.wait_timeout, poll_interval=args.poll_interval, on_update=progress
        )
    finally:
        progress.close()
    if args.output == STDOUT:
        _to_stdout(client, result, out, args.deadline)
        return Followed(result, to_stdout=True)
    if args.output and not result.images:
        raise DownloadError(f"task {task_id} succeeded but names no output image", url="")
    files = (
        _saved(client.upscale.download, result, args.output, deadline=args.deadline, overwrite=args.force)
        if args.output
        else []
    )
    return Followed(result, files)


def follow_to_end(client: HiDream, task_id: str, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Wait (and download) for a task that exists; however that ends, the exit code, and the task id
    with the command that resumes it when the task may still give its image."""
    where = None if args.output is None else str(args.output)
    try:
        followed = follow(client, task_id, args, err, out)
    except KeyboardInterrupt:
        print(f"{output.PROG}: interrupted", file=err)
        print(output.resume_hint(task_id, output=where, force=args.force), file=err)
        return output.EXIT_INTERRUPTED
    except HiDreamError as error:
        code = output.report(error, json_out=args.json, out=out, err=err)
        if not isinstance(error, TaskFailedError | TaskRefusedError):
            print(output.resume_hint(task_id, output=where, force=args.force), file=err)
        else:
            print(f"{output.PROG}: task {output.inert(task_id)} ended without an image", file=err)
        return code
    except OSError as error:  # stdout closed under `-o -` (a broken pipe), or a full disk
        print(f"{output.PROG}: cannot write the image: {error.strerror or type(error).__name__}", file=err)
        print(output.resume_hint(task_id, output=where, force=args.force), file=err)
        return output.EXIT_OUTPUT
    return show(followed, args, out)


def show(followed: Followed, args: argparse.Namespace, out: TextIO, *, status_line: bool = False) -> int:
    """Print what a finished (or, for `result`, a read) task gave; the exit code (0)."""
    result = followed.result
    if followed.to_stdout:
        return 0
    if args.json:
        print(output.json_text(dict(result.envelope)), file=out)
        return 0
    if status_line:
        print(result.status.name.lower(), file=out)
    for line in [str(path) for path in followed.files] or list(result.images):
        print(output.inert(line, 4 * output.MAX_SHOWN), file=out)
    return 0


def run_result(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`hidream-upscale result TASK_ID`."""
    try:
        client = HiDream(base_url=args.base_url, deadline=args.deadline)
    except HiDreamError as error:
        return output.report(error, json_out=args.json, out=out, err=err)
    with output.logging_to(err, args.verbose), client:
        if args.wait or args.output:
            try:
                check_output(args)
            except HiDreamError as error:
                return output.report(error, json_out=args.json, out=out, err=err)
            return follow_to_end(client, args.task_id, args, out, err)
        try:
            result = client.upscale.result(args.task_id)
        except HiDreamError as error:
            return output.report(error, json_out=args.json, out=out, err=err)
    return show(Followed(result), args, out, status_line=True)
