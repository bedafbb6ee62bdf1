"""`hidream-upscale`'s task commands: `submit … --wait [-o PATH]` and `result TASK_ID`.

Progress goes to stderr as one status line rewritten in place, and only when stderr is a terminal: a
pipe or a file gets nothing, so scripts read stdout alone. `cli.py` calls these hooks.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from hidream._results import TaskResult
from hidream._wait import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, MIN_POLL_INTERVAL
from hidream.errors import (
    DownloadError,
    HiDreamError,
    TaskFailedError,
    TaskRefusedError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from hidream._client import HiDream

# Exit codes of the task's end, after cli.EXIT_CODES' (the classes do not overlap).
EXIT_CODES: Final[tuple[tuple[type[HiDreamError], int], ...]] = (
    (TaskFailedError, 9),
    (TaskRefusedError, 10),
    (WaitTimeoutError, 11),
    (DownloadError, 12),
)
EPILOG: Final = """\
  9  --wait: the task failed (task_status 3)
 10  --wait: the task failed the safety review (task_status 4)
 11  --wait: the task was not finished within --wait-timeout (the message names it)
 12  -o: the output image could not be downloaded (nothing was written)
"""


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


def _output(text: str) -> Path:
    """Checked before anything is sent: a wrong -o must not cost a task."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory; give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} does not exist")
    return path


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="wait until the task is finished; print its image URL(s)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=_output,
        metavar="PATH",
        help="download the output image to PATH (implies --wait; several: PATH-1.png, PATH-2.png…)",
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


def add_result_command(commands: argparse._SubParsersAction[argparse.ArgumentParser], epilog: str) -> None:
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
        "--json", action="store_true", help="print the result envelope (or the error) as JSON"
    )
    result.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")


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
        self._stream.write(f"\r\x1b[Khidream-upscale: task {self._task_id}: {status} ({seconds:.0f}s)")
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


def follow(client: HiDream, task_id: str, args: argparse.Namespace, err: TextIO) -> Followed | None:
    """Wait for the task (and download its image) when --wait or -o asks; None when neither does."""
    if not (args.wait or args.output):
        return None
    progress = Progress(err, task_id)
    try:
        result = client.upscale.wait(
            task_id, timeout=args.wait_timeout, poll_interval=args.poll_interval, on_update=progress
        )
    finally:
        progress.close()
    files = client.upscale.download(result, args.output) if args.output else []
    return Followed(result, files)


def show(followed: Followed, args: argparse.Namespace, out: TextIO, *, status_line: bool = False) -> int:
    """Print what a finished (or, for `result`, a read) task gave; the exit code (0)."""
    result = followed.result
    if args.json:
        print(json.dumps(dict(result.envelope), ensure_ascii=False), file=out)
        return 0
    if status_line:
        print(result.status.name.lower(), file=out)
    for line in [str(path) for path in followed.files] or list(result.images):
        print(line, file=out)
    return 0


def run_result(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`hidream-upscale result TASK_ID`."""
    from hidream._client import HiDream
    from hidream.cli import _error_json, _logging_to, exit_code  # cli imports this module

    try:
        with _logging_to(err, args.verbose), HiDream(base_url=args.base_url) as client:
            followed = follow(client, args.task_id, args, err)
            if followed is None:
                followed = Followed(client.upscale.result(args.task_id))
    except HiDreamError as error:
        if args.json:
            print(json.dumps(_error_json(error), ensure_ascii=False), file=out)
        print(f"hidream-upscale: {type(error).__name__}: {error}", file=err)
        return exit_code(error)
    return show(followed, args, out, status_line=not (args.wait or args.output))
