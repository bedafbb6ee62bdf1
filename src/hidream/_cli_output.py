"""What every `hidream-upscale` subcommand shares: the exit codes (one table), printing an error,
the resume hint for a task already paid for, -v logging, and an argument parser that never echoes
a secret. The subcommand modules (`_cli_tasks`, and any later one) import this; `cli` imports them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from hidream._client import TOKEN_ENV
from hidream._envelope import clean
from hidream._secret import Secret
from hidream.errors import (
    APIConnectionError,
    AuthenticationError,
    DownloadError,
    HiDreamError,
    InvalidInputError,
    MalformedResponseError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
    TaskFailedError,
    TaskRefusedError,
    UnknownTaskStatusError,
    WaitTimeoutError,
)

PROG: Final = "hidream-upscale"


@dataclass(frozen=True)
class ExitCode:
    code: int
    meaning: str
    error: type[HiDreamError] | None = None


# The one table of exit codes: `exit_code` reads it, the help's epilog and docs/client.md render it.
# Most specific class first: MalformedServerError is a ServerError and a MalformedResponseError (6);
# UnknownTaskStatusError is a TaskFailedError (13).
EXIT_TABLE: Final[tuple[ExitCode, ...]] = (
    ExitCode(0, "done: the task id (submit), the status and image URLs (result), the file(s) written (-o)"),
    ExitCode(1, "anything else (a bug: please report it)"),
    ExitCode(2, "bad arguments or input, nothing was sent (argparse's usage errors too)", InvalidInputError),
    ExitCode(3, "no token, or the token was refused (HTTP 401/403)", AuthenticationError),
    ExitCode(4, "the service rejected the request (envelope code != 0)", RejectedRequestError),
    ExitCode(5, "rate limited (HTTP 429) after the allowed retries", RateLimitError),
    ExitCode(6, "server error (HTTP 5xx)", ServerError),
    ExitCode(
        7, "the response was not the envelope (not JSON, truncated, wrong shape)", MalformedResponseError
    ),
    ExitCode(8, "no response: connection failed or timed out", APIConnectionError),
    ExitCode(13, "--wait: the task ended at a status the client does not know", UnknownTaskStatusError),
    ExitCode(9, "--wait: the task failed (task_status 3)", TaskFailedError),
    ExitCode(10, "--wait: the task failed the safety review (task_status 4)", TaskRefusedError),
    ExitCode(11, "--wait: the task was not finished within --wait-timeout", WaitTimeoutError),
    ExitCode(
        12, "-o: the output image could not be downloaded or written (no file was written)", DownloadError
    ),
    ExitCode(
        14,
        "batch: the run ended, but some inputs have no output (failed, refused, answer lost, not an image)",
    ),
    ExitCode(
        15, "batch: unfinished (--max-tasks reached, a task still running, a failed download): run it again"
    ),
    ExitCode(130, "interrupted (Ctrl-C)"),
)
EXIT_OTHER: Final = 1
EXIT_USAGE: Final = 2
EXIT_OUTPUT: Final = 12
EXIT_INTERRUPTED: Final = 130
EXIT_BATCH_SOME_FAILED: Final = 14
EXIT_BATCH_UNFINISHED: Final = 15

EXIT_CODES: Final[tuple[tuple[type[HiDreamError], int], ...]] = tuple(
    (row.error, row.code) for row in EXIT_TABLE if row.error is not None
)


def exit_code(error: BaseException) -> int:
    """The documented exit code for an error."""
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return EXIT_OTHER


def exit_codes_text() -> str:
    """The table as the help's epilog shows it (sorted by code)."""
    return "".join(f"  {row.code:>3}  {row.meaning}\n" for row in sorted(EXIT_TABLE, key=lambda r: r.code))


def exit_codes_markdown() -> str:
    """The table as docs/client.md shows it (sorted by code)."""
    rows = ["| Exit code | Meaning |", "|---:|---|"]
    rows += [f"| {row.code} | {row.meaning} |" for row in sorted(EXIT_TABLE, key=lambda r: r.code)]
    return "\n".join(rows) + "\n"


def error_json(error: HiDreamError) -> dict[str, Any]:
    return {
        "error": {
            "type": type(error).__name__,
            "message": error.message,
            "code": error.code,
            "request_id": error.request_id,
            "http_status": error.http_status,
        }
    }


MAX_SHOWN: Final = 500
"""The most characters of one value (a task id, a URL, a file name, a message) a line shows."""


def redacted(text: str) -> str:
    """`text` without the environment's token in any form (a token pasted as a task id, say)."""
    token = os.environ.get(TOKEN_ENV, "")
    return Secret(token).redact(text) if token else text


def inert(value: object, limit: int = MAX_SHOWN) -> str:
    """A value from a server, a file name or a URL made safe for a terminal: the token redacted,
    control characters (ESC, BEL, CR, newlines, bidi overrides) escaped, at most `limit` characters."""
    return clean(redacted(str(value)), limit)


def json_text(value: object) -> str:
    """`value` as one line of JSON, inert on a terminal too: the token redacted, and every character
    a terminal would act on (C1 controls, bidi overrides, separators) written as its `\\uXXXX` escape
    (JSON escapes C0 controls itself), which JSON readers decode to the same value."""
    text = redacted(json.dumps(value, ensure_ascii=False))
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)


NOT_AS_IS: Final = "(some words shown escaped, cut or redacted: not for pasting as is)"


def pasteable(argv: Sequence[str]) -> str:
    """A command line to paste: each word made inert (escaped, bounded, the token redacted), then
    shell-quoted (`shlex.join`), so the line splits into exactly its words; a word that had to change
    cannot be pasted as printed, and the line says so."""
    words = [inert(word) for word in argv]
    command = shlex.join(words)
    return command if words == list(argv) else f"{command}  {NOT_AS_IS}"


def report(error: HiDreamError, *, json_out: bool, out: TextIO, err: TextIO) -> int:
    """Print `error` (as JSON on stdout too with --json), inert; its exit code."""
    if json_out:
        print(json_text(error_json(error)), file=out)
    print(f"{PROG}: {type(error).__name__}: {inert(error, 4 * MAX_SHOWN)}", file=err)
    return exit_code(error)


def resume_hint(task_id: str, *, output: str | None = None, force: bool = False) -> str:
    """The line that tells the user the task exists and how to pick it up again (shell-quoted)."""
    argv = [PROG, "result", task_id, "--wait"]
    if output is not None:
        argv += ["-o", output, *(["--force"] if force else [])]
    accepted = f"{PROG}: task {inert(task_id)} was accepted (and is billed)"
    return f"{accepted}; pick it up again with: {pasteable(argv)}"


class _InertFormatter(logging.Formatter):
    """Log lines as `inert` text: a URL or a server's words in a record cannot drive the terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return inert(super().format(record), 8 * MAX_SHOWN)


@contextmanager
def logging_to(stream: TextIO, enabled: bool) -> Iterator[None]:
    """Log the client's requests to `stream` for the length of the block (for -v)."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("hidream")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_InertFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


# Options a user may try for a secret: refused by name, their value never printed.
_SECRET_OPTION: Final = re.compile(
    r"^--?(?:api[-_]?)?(?:token|key|secret|password|passwd|bearer|auth(?:orization)?)(?:=.*)?$", re.I
)


def refused_secret_option(argv: Sequence[str]) -> str | None:
    """The name of a secret-carrying option in `argv` (e.g. `--token`, `--api-key=…`), else None."""
    for arg in argv:
        if arg == "--":
            return None
        if _SECRET_OPTION.match(arg):
            return arg.split("=", 1)[0]
    return None


class Parser(argparse.ArgumentParser):
    """argparse's parser whose usage errors never echo a secret: the environment's token, in any
    form, is redacted from them; of unrecognized arguments only option names are shown (a value
    there may be a token typed after a misspelt option); options named like a secret are refused
    before parsing (`refused_secret_option`)."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            words = message[len(prefix) :].split()
            names = [word.split("=", 1)[0] for word in words if word.startswith("-")]
            hidden = len(words) - len(names) + sum("=" in word for word in words if word.startswith("-"))
            message = prefix + " ".join(names) + (f" (and {hidden} value(s), not shown)" if hidden else "")
        token = os.environ.get(TOKEN_ENV, "")
        if token:
            message = Secret(token).redact(message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[Parser]
else:
    Subcommands = argparse._SubParsersAction
"""What a subcommand module's `add_…_command(commands, epilog)` receives (see `cli.COMMANDS`)."""
