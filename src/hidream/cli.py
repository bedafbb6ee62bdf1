"""`hidream-upscale`: submit an upscale task from a shell; one exit code per kind of failure.

The token comes only from HIDREAM_API_TOKEN: a command-line argument would show in `ps` and shell history.
Each image operation of the spec is a command (`submit` for `submitUpscaleTask`), and each of its inputs a
flag whose help is the spec's description: both come from the generated rows (`hidream_api_client.surface`),
so an input the spec gains is a flag after `make generate`. Hand-written here: the image argument, the
client's settings (base URL, timeouts, retries), waiting and output.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final, TextIO

import httpx
from hidream_api_client.surface import OPERATIONS, Input, Operation

from hidream import _cli_batch
from hidream import _cli_output as output
from hidream import _cli_tasks as tasks
from hidream._client import BASE_URL_ENV, TOKEN_ENV, HiDream
from hidream._core import DEFAULT_DEADLINE, DEFAULT_TIMEOUT
from hidream._images import MAX_IMAGE_BYTES
from hidream._inputs import fallback
from hidream._retry import RetryPolicy
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


_TYPES: Final = {"integer": int, "number": float, "string": str}
DEST_PREFIX: Final = "spec_"


def _help(item: Input) -> str:
    """The spec's description, then its allowed values, default and where it goes (argparse-escaped)."""
    shown = ", ".join(str(value) for value in item.values)
    notes = [f"one of {shown}"] if item.values else []
    default = fallback(item)
    if default is not None:
        notes.append(f"default {default}")
    if item.location != "body":
        notes.append(f"sent as the {item.location} {item.wire}")
    text = item.help + (f" ({'; '.join(notes)})" if notes else "")
    return text.replace("%", "%%")


def add_input_options(parser: argparse.ArgumentParser, operation: Operation) -> list[Input]:
    """One flag per input of `operation` that the client can send; returns the ones that got a flag
    (an input whose flag a hand-written option already takes gets none: the compat gate says so)."""
    added = []
    for item in operation.inputs:
        if not item.kind:
            continue
        options: dict[str, object] = {"dest": DEST_PREFIX + item.keyword, "help": _help(item)}
        if item.kind == "boolean":
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = _TYPES[item.kind]
            options["metavar"] = item.keyword.upper()
            # Integers are converted by argparse, so it checks their values too; a wrong text value is
            # the client's InvalidInputError, which names the field (both exit 2).
            if item.kind != "string" and item.values:
                options["choices"] = list(item.values)
                options["metavar"] = None
        try:
            parser.add_argument(item.flag, **options)  # type: ignore[arg-type]
        except argparse.ArgumentError:
            continue
        added.append(item)
    return added


def given_inputs(args: argparse.Namespace, operation: Operation) -> dict[str, Any]:
    """The inputs given on the command line, by the client's keywords (left out: None, the client's
    fallback applies)."""
    return {
        item.keyword: getattr(args, DEST_PREFIX + item.keyword)
        for item in operation.inputs
        if hasattr(args, DEST_PREFIX + item.keyword)
    }


def add_operation_command(
    operation: Operation, commands: output.Subcommands, epilog: str
) -> argparse.ArgumentParser:
    what = "Submit one image for upscaling" if operation.command == "submit" else operation.summary
    submit = commands.add_parser(
        operation.command,
        help=f"{operation.summary.lower()}: one image; prints the task id",
        description=(
            f"{what} and print the task id. A task is billed once accepted. "
            f"IMAGE: an http(s) URL, a local PNG/JPEG/WebP file (at most {MAX_IMAGE_BYTES // 2**20} MiB) "
            "or base64 text."
        ),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    submit.add_argument("image", metavar="IMAGE", help="URL, file path or base64 text")
    add_client_options(submit)
    tasks.add_wait_options(submit)
    add_input_options(submit, operation)
    return submit


def add_client_options(submit: argparse.ArgumentParser) -> None:
    """The hand-written options of every image command: the client's settings and the output form."""
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


def _seconds(option: str, value: float) -> float:
    if not 0 < value < float("inf"):
        raise InvalidInputError(option, f"must be a number of seconds > 0, got {value}")
    return value


def run_operation(operation: Operation, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`hidream-upscale submit IMAGE [--wait] [-o PATH]` (every image operation's command). Once the
    submit is accepted the task is paid for: however the rest ends, the task id and the command that
    resumes it are printed."""
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
            task = client.upscale.send(operation, args.image, **given_inputs(args, operation))
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


Add = Callable[[output.Subcommands, str], argparse.ArgumentParser]
Run = Callable[[argparse.Namespace, TextIO, TextIO], int]

# The subcommands, in the order `--help` lists them: (add to the parser, run). One per image operation of
# the spec (generated rows), then the hand-written ones; a new subcommand module adds one line here.
COMMANDS: Final[tuple[tuple[Add, Run], ...]] = (
    *(
        (functools.partial(add_operation_command, op), functools.partial(run_operation, op))
        for op in OPERATIONS
    ),
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
