"""`python -m hidream_contract.live`: the live contract check (what scripts/contract-live runs).

Exit status: 0 the service matches the spec, 1 drift found, 2 the check could not run.
Settings come from the environment (HIDREAM_API_TOKEN, HIDREAM_API_BASE_URL, HIDREAM_LIVE_*).
A usage error (no token, a bad setting) returns before the run's machinery (schemathesis, the
report) is imported: only the settings and the client's redaction are loaded for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from hidream import Secret
from hidream_contract.live import settings
from hidream_contract.project import REPORTS

COULD_NOT_RUN = 2


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    redact = Secret(env.get("HIDREAM_API_TOKEN", "").strip()).redact
    try:
        config = settings.load(env)
    except settings.UsageError as exc:
        print(f"==> contract-live: could not run (exit 2)\n    usage: {redact(str(exc))}", file=sys.stderr)
        return COULD_NOT_RUN
    try:
        # Imported here: a usage error needs no schemathesis start-up.
        from hidream_contract.live import cassette
        from hidream_contract.live.report import summary, write
        from hidream_contract.live.runner import LiveRun

        reports = Path(env.get("HIDREAM_LIVE_REPORTS_DIR") or REPORTS)  # tests write elsewhere
        run = LiveRun(config)
        recorder = cassette.record(run.wire.adapter)  # every request and answer, for the cassette
        outcome = run.run()
        report_path = write(outcome, config, reports, redact)
        kept = cassette.keep(recorder, outcome, config, reports, redact)  # beside the report
        print(redact(summary(outcome, config, report_path) + "\n" + kept))
        return outcome.exit_status
    except Exception as exc:  # a bug of ours must not print the token, nor pass for drift
        reason = f"internal error: {type(exc).__name__}: {redact(str(exc))}"
        print(f"==> contract-live: could not run (exit 2)\n    {reason}", file=sys.stderr)
        return COULD_NOT_RUN


if __name__ == "__main__":
    raise SystemExit(main())
