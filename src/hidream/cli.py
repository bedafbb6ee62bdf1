"""`hidream-upscale`: submit an upscale task from a shell; one exit code per kind of failure.

The token comes only from HIDREAM_API_TOKEN: a command-line argument would show in `ps` and shell history.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Final, TextIO

import httpx
from hidream_api_client.models import AcceptLanguage, ModelVersion, UpsaleRatio

from hidream import _cli_batch
from hidream import _cli_output as output
from hidream import _cli_tasks as tasks
from hidream._client import BASE_URL_ENV, TOKEN_ENV, HiDream
from hidream._core import DEFAULT_DEADLINE, DEFAULT_TIMEOUT
from hidream._images import MAX_IMAGE_BYTES
from hidream._retry import RetryPolicy
from hidream._upscale import DEFAULT_RATIO, DEFAULT_VERSION
from hidream._version import __version__
from hidream.errors import HiDreamError, InvalidInputError

EXIT_CODES: Final = output.EXIT_CODES
EXIT_OTHER: Final = output.EXIT_OTHER
exit_code = output.exit_code
_error_json = output.error_json

EPILOG = f"""\
environment:
  {TOKEN_ENV}     the API token (required; never taken from the command line)
  {BASE_URL_ENV}  the gateway root, overridden by --base-url

exit codes:
{output.exit_codes_text()}"""


def _parser() -> argparse.ArgumentParser:
    parser = output.Parser(
        prog=output.PROG,
        description="Submit image-upscale tasks to the HiDream AI API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add, run in COMMANDS:
        add(commands, EPILOG).set_defaults(run=run)
    return parser


def add_submit_command(commands: output.Subcommands, epilog: str) -> argparse.ArgumentParser:
    submit = commands.add_parser(
        "submit",
        help="submit one image; prints the task id",
        description=(
            "Submit one image for upscaling and print the task id. A task is billed once accepted. "
            f"IMAGE: an http(s) URL, a local PNG/JPEG/WebP file (at most {MAX_IMAGE_BYTES // 2**20} MiB) "
            "or base64 text."
        ),
        epilog=epilog,
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
        help="seconds for the submit (retries included), each read of --wait and each download of -o "
        "(default %(default)s)",
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
    return submit


def _seconds(option: str, value: float) -> float:
    if not 0 < value < float("inf"):
        raise InvalidInputError(option, f"must be a number of seconds > 0, got {value}")
    return value


def run_submit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`hidream-upscale submit IMAGE [--wait] [-o PATH]`. Once the submit is accepted the task is
    paid for: however the rest ends, the task id and the command that resumes it are printed."""
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
        deadline = _seconds("--deadline", args.deadline)
        client = HiDream(base_url=args.base_url, timeout=timeout, deadline=deadline, retry=retry)
    except HiDreamError as error:
        return output.report(error, json_out=args.json, out=out, err=err)
    with output.logging_to(err, args.verbose), client:
        try:
            tasks.check_output(args)  # before the submit: a wrong -o must not cost a task
            task = client.upscale.submit(
                args.image,
                upsale_ratio=args.ratio,
                notify_url=args.notify_url,
                version=args.model_version,
                request_id=args.request_id,
                language=args.language,
                user_id=args.user_id,
            )
        except HiDreamError as error:
            return output.report(error, json_out=args.json, out=out, err=err)
        except KeyboardInterrupt:
            print(
                f"{output.PROG}: interrupted during the submit; a task may have been created "
                "(its id did not arrive)",
                file=err,
            )
            return output.EXIT_INTERRUPTED
        if not (args.wait or args.output):
            if args.json:
                print(output.json_text(dict(task.envelope)), file=out)
            else:
                print(output.inert(task.task_id), file=out)
            return 0
        return tasks.follow_to_end(client, task.task_id, args, out, err)


# The subcommands, in the order `--help` lists them: (add to the parser, run). A new subcommand
# module adds one line here.
COMMANDS: Final = (
    (add_submit_command, run_submit),
    (tasks.add_result_command, tasks.run_result),
    (_cli_batch.add_batch_command, _cli_batch.run_batch),
)


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    refused = output.refused_secret_option(arguments)
    if refused is not None:
        print(
            f"{output.PROG}: error: {refused} is not an option: the token is read only from "
            f"${TOKEN_ENV} (a command-line value shows in `ps` and shell history); "
            "the value given was not used and is not shown",
            file=err,
        )
        return output.EXIT_USAGE
    try:
        args = _parser().parse_args(arguments)
        args.argv = arguments  # batch prints the command that resumes it
        code: int = args.run(args, out, err)
    except KeyboardInterrupt:
        print(f"{output.PROG}: interrupted", file=err)
        return output.EXIT_INTERRUPTED
    return code
