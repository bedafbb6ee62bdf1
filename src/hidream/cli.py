"""`hidream-upscale`: submit an upscale task from a shell; one exit code per kind of failure.

The token comes only from HIDREAM_API_TOKEN: a command-line argument would show in `ps` and shell history.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, TextIO

import httpx
from hidream_api_client.models import AcceptLanguage, ModelVersion, UpsaleRatio

from hidream import _cli_batch
from hidream import _cli_tasks as tasks
from hidream._client import BASE_URL_ENV, TOKEN_ENV, HiDream
from hidream._core import DEFAULT_DEADLINE, DEFAULT_TIMEOUT
from hidream._images import MAX_IMAGE_BYTES
from hidream._retry import RetryPolicy
from hidream._upscale import DEFAULT_RATIO, DEFAULT_VERSION
from hidream._version import __version__
from hidream.errors import (
    APIConnectionError,
    AuthenticationError,
    HiDreamError,
    InvalidInputError,
    MalformedResponseError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
)

# Most specific first: MalformedServerError is a ServerError and a MalformedResponseError, and counts as 6.
EXIT_CODES: Final[tuple[tuple[type[HiDreamError], int], ...]] = (
    (InvalidInputError, 2),
    (AuthenticationError, 3),
    (RejectedRequestError, 4),
    (RateLimitError, 5),
    (ServerError, 6),
    (MalformedResponseError, 7),
    (APIConnectionError, 8),  # timeouts included
    *tasks.EXIT_CODES,  # the task's end: 9-12
)
EXIT_OTHER: Final = 1

EPILOG = f"""\
environment:
  {TOKEN_ENV}     the API token (required; never taken from the command line)
  {BASE_URL_ENV}  the gateway root, overridden by --base-url

exit codes:
  0  the task was accepted; its id is printed (or the envelope, with --json)
  2  bad arguments or input, nothing was sent (also argparse's usage errors)
  3  no token, or the token was refused (HTTP 401/403)
  4  the service rejected the request (envelope code != 0)
  5  rate limited (HTTP 429) after the allowed retries
  6  server error (HTTP 5xx)
  7  the response was not the envelope (not JSON, truncated, wrong shape)
  8  no response: connection failed or timed out
{tasks.EPILOG}  1  anything else
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hidream-upscale",
        description="Submit image-upscale tasks to the HiDream AI API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    submit = commands.add_parser(
        "submit",
        help="submit one image; prints the task id",
        description=(
            "Submit one image for upscaling and print the task id. A task is billed once accepted. "
            f"IMAGE: an http(s) URL, a local PNG/JPEG/WebP file (at most {MAX_IMAGE_BYTES // 2**20} MiB) "
            "or base64 text."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    submit.add_argument("image", metavar="IMAGE", help="URL, file path or base64 text")
    # Allowed values and defaults are the generated enums and model defaults (the spec's).
    submit.add_argument(
        "--ratio",
        type=int,
        choices=[ratio.value for ratio in UpsaleRatio],
        default=DEFAULT_RATIO,
        help="upscale factor: %(choices)s (default %(default)s)",
    )
    submit.add_argument("--notify-url", metavar="URL", help="callback called when the task finishes")
    versions = ", ".join(version.value for version in ModelVersion)
    # No argparse choices: a wrong version is the client's InvalidInputError, naming the field (exit 2).
    submit.add_argument(
        "--model-version", default=DEFAULT_VERSION, help=f"model version: {versions} (default %(default)s)"
    )
    submit.add_argument("--request-id", metavar="ID", help="your own id for this request")
    submit.add_argument(
        "--language",
        choices=[language.value for language in AcceptLanguage],
        help="language of the service's messages: %(choices)s",
    )
    submit.add_argument("--user-id", metavar="ID", help="sent as API-User-ID")
    submit.add_argument(
        "--base-url", metavar="URL", help=f"gateway root (default ${BASE_URL_ENV} or production)"
    )
    submit.add_argument(
        "--json", action="store_true", help="print the response envelope (or the error) as JSON"
    )
    submit.add_argument(
        "--connect-timeout",
        type=float,
        default=DEFAULT_TIMEOUT.connect,
        metavar="S",
        help="seconds (default %(default)s)",
    )
    submit.add_argument(
        "--read-timeout",
        type=float,
        default=DEFAULT_TIMEOUT.read,
        metavar="S",
        help="seconds (default %(default)s)",
    )
    submit.add_argument(
        "--deadline",
        type=float,
        default=DEFAULT_DEADLINE,
        metavar="S",
        help="seconds for the whole call, retries included (default %(default)s)",
    )
    submit.add_argument(
        "--max-attempts",
        type=int,
        default=RetryPolicy().max_attempts,
        metavar="N",
        help="1 turns retries off",
    )
    submit.add_argument(
        "--retry-unsafe",
        action="store_true",
        help="also retry after a timeout or a 5xx (may create a second, billed task)",
    )
    submit.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    tasks.add_wait_options(submit)
    tasks.add_result_command(commands, EPILOG)
    _cli_batch.add_batch_command(commands)
    return parser


def exit_code(error: HiDreamError) -> int:
    """The documented exit code for an error class."""
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return EXIT_OTHER


def _error_json(error: HiDreamError) -> dict[str, Any]:
    return {
        "error": {
            "type": type(error).__name__,
            "message": error.message,
            "code": error.code,
            "request_id": error.request_id,
            "http_status": error.http_status,
        }
    }


def _seconds(option: str, value: float) -> float:
    if not 0 < value < float("inf"):
        raise InvalidInputError(option, f"must be a number of seconds > 0, got {value}")
    return value


@contextmanager
def _logging_to(stream: TextIO, enabled: bool) -> Iterator[None]:
    """Log the client's requests to `stream` for the length of the block (for -v)."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("hidream")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = _parser().parse_args(argv)
    if args.command == "result":
        return tasks.run_result(args, out, err)
    if args.command == "batch":
        return _cli_batch.run_batch(args, argv, out, err)
    try:
        retry = RetryPolicy(
            max_attempts=args.max_attempts,
            retry_timeouts=args.retry_unsafe,
            retry_server_errors=args.retry_unsafe,
        )
        timeout = httpx.Timeout(
            connect=_seconds("--connect-timeout", args.connect_timeout),
            read=_seconds("--read-timeout", args.read_timeout),
            write=DEFAULT_TIMEOUT.write,
            pool=DEFAULT_TIMEOUT.pool,
        )
        with (
            _logging_to(err, args.verbose),
            HiDream(
                base_url=args.base_url,
                timeout=timeout,
                deadline=_seconds("--deadline", args.deadline),
                retry=retry,
            ) as client,
        ):
            task = client.upscale.submit(
                args.image,
                upsale_ratio=args.ratio,
                notify_url=args.notify_url,
                version=args.model_version,
                request_id=args.request_id,
                language=args.language,
                user_id=args.user_id,
            )
            followed = tasks.follow(client, task.task_id, args, err)
    except HiDreamError as error:
        if args.json:
            print(json.dumps(_error_json(error), ensure_ascii=False), file=out)
        print(f"hidream-upscale: {type(error).__name__}: {error}", file=err)
        return exit_code(error)
    if followed is not None:
        return tasks.show(followed, args, out)
    if args.json:
        print(json.dumps(dict(task.envelope), ensure_ascii=False), file=out)
    else:
        print(task.task_id, file=out)
    return 0
