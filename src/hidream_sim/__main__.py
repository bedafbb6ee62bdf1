"""`python -m hidream_sim --mode MODE --port 0`: serve the stand-in until Ctrl-C/TERM.

The first line on stdout is the base URL (the operation path is appended to it), or `KEY=<base URL>`
with --ready-key KEY (what hidream_contract.children.serving_child waits for); then it serves until
interrupted or, with --until-stdin-closes, until its stdin closes (how scripts drive it). With
--stats-file PATH it writes {"requests": N, "accepted_tasks": M} there when it stops: what a run cost,
counted by the service side (the benchmark reads it).
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

from hidream_sim.server import DEFAULT_TOKEN, MODES, StandInServer


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hidream_sim", description=__doc__)
    parser.add_argument("--mode", default="faithful", choices=sorted(MODES), metavar="MODE")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument(
        "--token-env",
        default="HIDREAM_STANDIN_TOKEN",
        help=f"environment variable holding the accepted token (default token: {DEFAULT_TOKEN!r})",
    )
    parser.add_argument("--until-stdin-closes", action="store_true", help="stop when stdin closes")
    parser.add_argument("--ready-key", metavar="KEY", help="print KEY=<base URL> instead of the bare URL")
    parser.add_argument(
        "--stats-file", metavar="PATH", help="write the request and task counts there on stop"
    )
    parser.add_argument("--list-modes", action="store_true", help="list the modes and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.list_modes:
        for name, mode in MODES.items():
            print(f"{name:22} {mode.kind:9} {mode.description}")
        return 0
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    # The token comes from the environment, never the command line (ps shows arguments).
    token = os.environ.get(args.token_env) or DEFAULT_TOKEN
    server = StandInServer(args.mode, token, port=args.port)

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
    print(
        f"==> standin: mode {args.mode} on {server.base_url} (Ctrl-C stops it)", file=sys.stderr, flush=True
    )
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        server.server_close()
        if args.stats_file:
            stats = {"requests": server.requests, "accepted_tasks": server.accepted_tasks}
            Path(args.stats_file).write_text(json.dumps(stats), encoding="utf-8")
        print(
            f"==> standin: stopped after {server.requests} requests, {server.accepted_tasks} accepted tasks",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
