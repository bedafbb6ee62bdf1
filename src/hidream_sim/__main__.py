"""`hidream-sim [--host H] [--port N] [--scenario NAME] [--task-seconds S]`: serve until stopped.

`hidream-sim --replay CASSETTE` serves a cassette the live check recorded (replay.py) instead;
`--observed CATALOG` loads the codes the `observed-codes` scenario answers with (observed.py).

Also `python -m hidream_sim`. `hidream-sim --list-scenarios` lists the scenarios with their kind.

The first line on stdout is the base URL (the operation path is appended to it), or `KEY=<base URL>`
with --ready-key KEY (what hidream_contract.children.serving_child waits for); then it serves until
interrupted or, with --until-stdin-closes, until its stdin closes (how scripts drive it). With
--stats-file PATH it writes {"requests": N, "accepted_tasks": M, "busy_seconds": S} there when it
stops: what a run cost, counted by the service side, and the time it spent answering (the
benchmarks read it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from hidream_sim.observed import ObservedCodes
from hidream_sim.replay import Cassette
from hidream_sim.server import DEFAULT_SLOW_SECONDS, DEFAULT_TOKEN, SCENARIOS, SimServer


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hidream-sim", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario",
        "--mode",
        dest="mode",
        default="faithful",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help="the scenario for requests that choose none (default: faithful; see --list-scenarios)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 (default) picks a free one")
    parser.add_argument(
        "--task-seconds",
        type=float,
        default=None,
        metavar="S",
        help="a task takes S seconds (queued, then in progress, then final); default: one step per read",
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=DEFAULT_SLOW_SECONDS,
        metavar="S",
        help=f"how long the slow and drip scenarios take (default {DEFAULT_SLOW_SECONDS})",
    )
    parser.add_argument(
        "--allow-callback-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host besides loopback that notify_url callbacks may reach (repeatable)",
    )
    parser.add_argument(
        "--token",
        default=None,
        metavar="T",
        help="the bearer token it accepts (prefer --token-env: ps shows arguments)",
    )
    parser.add_argument(
        "--token-env",
        default="HIDREAM_STANDIN_TOKEN",
        help=f"environment variable holding the accepted token (default token: {DEFAULT_TOKEN!r})",
    )
    parser.add_argument(
        "--replay",
        metavar="CASSETTE",
        help="answer every request from a HAR cassette (the live check's reports/live-cassette.har)",
    )
    parser.add_argument(
        "--observed",
        metavar="CATALOG",
        help="the observed catalog (reports/live-observed.json) the observed-codes scenario answers from",
    )
    parser.add_argument("--until-stdin-closes", action="store_true", help="stop when stdin closes")
    parser.add_argument("--ready-key", metavar="KEY", help="print KEY=<base URL> instead of the bare URL")
    parser.add_argument(
        "--stats-file", metavar="PATH", help="write the request and task counts there on stop"
    )
    parser.add_argument(
        "--list-scenarios", "--list-modes", action="store_true", help="list the scenarios and exit"
    )
    return parser.parse_args(argv)


def _printable(text: str) -> str:
    """Control characters escaped: a file name or a file's content reaches the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.list_scenarios:
        for name, mode in SCENARIOS.items():
            print(f"{name:28} {mode.kind:9} {mode.description}")
        return 0
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    for name, value in (("--task-seconds", args.task_seconds), ("--slow-seconds", args.slow_seconds)):
        if value is not None and not 0 <= value <= 86400:
            print(f"error: {name} must be 0..86400 seconds, got {value}", file=sys.stderr)
            return 2
    # The token: --token, else the environment (preferred: ps shows arguments), else the default.
    token = args.token or os.environ.get(args.token_env) or DEFAULT_TOKEN
    try:
        replay = Cassette.load(args.replay) if args.replay else None
        observed = ObservedCodes.load(args.observed) if args.observed else None
    except ValueError as error:
        print(f"error: {_printable(str(error))}", file=sys.stderr)
        return 2
    try:
        server = SimServer(
            args.mode,
            token,
            args.host,
            args.port,
            task_seconds=args.task_seconds,
            slow_seconds=args.slow_seconds,
            callback_hosts=tuple(args.allow_callback_host),
            replay=replay,
            observed=observed,
        )
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2

    def _stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.until_stdin_closes:

        def _stop_when_stdin_closes() -> None:
            sys.stdin.read()
            server.shutdown()

        threading.Thread(target=_stop_when_stdin_closes, daemon=True).start()
    print(f"{args.ready_key}={server.base_url}" if args.ready_key else server.base_url, flush=True)
    what = f"replaying {len(replay.entries)} recorded answers" if replay else f"scenario {args.mode}"
    print(
        f"==> hidream-sim: {what} on {server.base_url} (Ctrl-C stops it)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        server.server_close()
        if args.stats_file:
            stats = {
                "requests": server.requests,
                "accepted_tasks": server.accepted_tasks,
                "busy_seconds": server.busy_seconds,
            }
            Path(args.stats_file).write_text(json.dumps(stats), encoding="utf-8")
        print(
            f"==> hidream-sim: stopped after {server.requests} requests, {server.accepted_tasks} tasks",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
