"""`python -m hidream_contract.live`: the live contract check (what scripts/contract-live runs).

Exit status: 0 the service matches the spec, 1 drift found, 2 the check could not run.
Settings come from the environment (HIDREAM_API_TOKEN, HIDREAM_API_BASE_URL, HIDREAM_LIVE_*).
A usage error (no token, a bad setting) returns before the run's machinery (schemathesis, the
report) is imported: only the settings and the client's redaction are loaded for it.

1 means drift and nothing else: any error of the check itself — while importing, reading the spec
or the settings, running, writing the report — is 2 ("could not run", an internal error), so a nightly
job never reports the provider as drifting when the tool is broken. Only the standard library is
imported at module level, so even a broken import lands in `main`'s handler.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

COULD_NOT_RUN = 2


def _redactor(token: str) -> Callable[[str], str]:
    """The client's redaction (every form of the token), or plain replacement if it cannot load."""
    try:
        from hidream import Secret

        return Secret(token).redact
    except Exception:
        return lambda text: text.replace(token, "[REDACTED]") if token else text


def _could_not_run(reason: str) -> int:
    print(f"==> contract-live: could not run (exit 2)\n    {reason}", file=sys.stderr)
    return COULD_NOT_RUN


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    redact = _redactor(env.get("HIDREAM_API_TOKEN", "").strip())
    try:
        from hidream_contract.live import settings

        try:
            config = settings.load(env)
        except settings.UsageError as exc:
            return _could_not_run(f"usage: {redact(str(exc))}")
        # Imported here: a usage error needs no schemathesis start-up.
        from hidream_contract.live import cassette
        from hidream_contract.live.report import summary, write
        from hidream_contract.live.runner import LiveRun
        from hidream_contract.project import REPORTS

        reports = Path(env.get("HIDREAM_LIVE_REPORTS_DIR") or REPORTS)  # tests write elsewhere
        run = LiveRun(config)
        recorder = cassette.record(run.wire.adapter)  # every request and answer, for the cassette
        outcome = run.run()
        report_path = write(outcome, config, reports, redact)
        kept = cassette.keep(recorder, outcome, config, reports, redact)  # beside the report
        print(redact(summary(outcome, config, report_path) + "\n" + kept))
        return outcome.exit_status
    except Exception as exc:  # a bug of ours must not print the token, nor pass for drift
        return _could_not_run(f"internal error of the check: {type(exc).__name__}: {redact(str(exc))}")


if __name__ == "__main__":
    raise SystemExit(main())
