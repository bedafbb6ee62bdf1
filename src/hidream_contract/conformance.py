"""Our client (`hidream`) through the simulator's conformance catalog: its adapter, and the table.

`python -m hidream_contract.conformance [--json PATH]` (what `make conformance` runs) prints the table;
tests/sim/test_conformance.py runs every case and fails on any row that does not pass (but the known
gaps listed there). The adapter follows the protocol of hidream_sim.conformance: a request in, an
observation out, every text the client showed its user collected (reprs, messages, envelopes, logs).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hidream import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    DownloadError,
    HiDream,
    HiDreamError,
    InvalidInputError,
    MalformedResponseError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
    TaskFailedError,
    TaskRefusedError,
    WaitTimeoutError,
)
from hidream_sim import conformance

FAST_POLL_S = 0.05  # the catalog leaves the poll interval open: the simulator is instant
# Cases our client is known to fail, with the reason (the tests xfail them strictly; the table says so).
# Empty since the client's wait follows the provider's status rule (an unknown final status stops it).
KNOWN_GAPS: dict[str, str] = {}
# Our error classes -> the catalog's error kinds, most specific first (a MalformedServerError is a
# ServerError and a MalformedResponseError: a 5xx first).
KINDS: tuple[tuple[type[HiDreamError], str], ...] = (
    (InvalidInputError, "validation"),
    (AuthenticationError, "auth"),
    (RateLimitError, "rate_limited"),
    (ServerError, "server"),
    (RejectedRequestError, "rejected"),
    (MalformedResponseError, "malformed_response"),
    (APITimeoutError, "timeout"),
    (APIConnectionError, "connection"),
    (DownloadError, "download"),
)


def error_kind(error: HiDreamError) -> str:
    """The catalog's kind of one of our errors."""
    return next((kind for cls, kind in KINDS if isinstance(error, cls)), "other")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@contextmanager
def _logs() -> Iterator[_Collect]:
    logger = logging.getLogger("hidream")
    handler, level = _Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _shown(thing: object) -> list[str]:
    """What a user sees of a returned object or an error: str, repr, message, the envelope."""
    texts = [str(thing), repr(thing)]
    for name in ("message", "envelope", "result", "body"):
        value = getattr(thing, name, None)
        if value is not None:
            texts.append(
                json.dumps(value, default=repr, ensure_ascii=False)
                if isinstance(value, dict)
                else repr(value)
            )
    return texts


def hidream_adapter(request: dict[str, Any]) -> dict[str, Any]:
    """Do the request's action with `hidream.HiDream`; the observation."""
    sdk = request["sdk"]
    options: dict[str, Any] = {"token": request["token"], "base_url": request["base_url"]}
    if "request_timeout_s" in sdk:
        options["timeout"] = sdk["request_timeout_s"]
    if "deadline_s" in sdk:
        options["deadline"] = sdk["deadline_s"]
    wait: dict[str, Any] = {"poll_interval": sdk.get("poll_interval_s", FAST_POLL_S)}
    if "wait_timeout_s" in sdk:
        wait["wait_timeout"] = sdk["wait_timeout_s"]
    download: dict[str, Any] = {}
    if "max_download_bytes" in sdk:
        download["max_bytes"] = sdk["max_download_bytes"]
    action, image, ratio = request["action"], request["image"], request["upsale_ratio"]
    surfaced: list[str] = []
    started = time.monotonic()
    outcome, error_type, kind = "error", None, None
    with _logs() as logs:
        try:
            with HiDream(**options) as client:
                if action in ("submit", "submit_with_callback"):
                    task = client.upscale.submit(
                        image, upsale_ratio=ratio, notify_url=request.get("notify_url")
                    )
                    surfaced += _shown(task)
                    outcome = "submitted"
                else:
                    result = client.upscale.submit_and_wait(image, upsale_ratio=ratio, **wait)
                    surfaced += _shown(result)
                    if action == "submit_wait_download":
                        paths = client.upscale.download(result, Path(request["output_path"]), **download)
                        surfaced += [str(path) for path in paths]
                    outcome = "succeeded"
        except TaskFailedError as error:
            outcome, error_type, surfaced = "failed", type(error).__name__, surfaced + _shown(error)
        except TaskRefusedError as error:
            outcome, error_type, surfaced = "refused", type(error).__name__, surfaced + _shown(error)
        except (WaitTimeoutError, APITimeoutError) as error:
            outcome, error_type, surfaced = "timeout", type(error).__name__, surfaced + _shown(error)
            kind = "timeout"
        except HiDreamError as error:
            outcome, error_type, surfaced = "error", type(error).__name__, surfaced + _shown(error)
            kind = error_kind(error)
    seconds = time.monotonic() - started
    return {
        "outcome": outcome,
        "error_kind": kind,
        "error_type": error_type,
        "surfaced": surfaced + logs.texts,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hidream_contract.conformance", description=__doc__)
    conformance.add_report_options(parser)
    args = parser.parse_args(argv)
    chosen = conformance.selected(args)
    if isinstance(chosen, int):
        return chosen
    try:
        rows = conformance.run(hidream_adapter, *chosen)
    except OSError as error:  # no port to listen on: named, no traceback
        print(f"conformance: {error}", file=sys.stderr)
        return 2
    sdk = "hidream (Python, this repository)"
    print(conformance.table(rows, sdk, expected_failures=KNOWN_GAPS), end="")
    conformance.write_reports(
        rows,
        sdk,
        json_path=args.json,
        junit_path=args.junit,
        markdown_path=args.markdown,
        expected_failures=KNOWN_GAPS,
    )
    return 0 if all(row.passed or row.case_id in KNOWN_GAPS for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
