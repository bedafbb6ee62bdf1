"""What a live run may do, read from the environment; anything unusable is a usage error (exit 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from hidream import InvalidInputError, Secret, check_base_url, check_token
from hidream_contract.live.probes import default_budget
from hidream_contract.spec import production_base_url

PROBE_SETS = ("auto", "all", "free")


class UsageError(Exception):
    """The run cannot start as configured; the message names the variable and what is wrong."""


@dataclass(frozen=True)
class LiveSettings:
    base_url: str
    token: Secret
    max_billable: int
    probes: str
    max_rps: float  # requests per second; politeness towards the service
    timeout_s: float  # per request (connect and read)
    max_run_s: float  # the whole run
    retries: int  # extra attempts on 429/5xx
    max_retry_wait_s: float  # the most a Retry-After is honoured
    fuzz_examples: int  # negative cases drawn by schemathesis
    seed: int
    result_reads: int = 4  # reads per created task (results.py), free
    result_interval_s: float = 5.0  # between them: the provider's own client's interval


def _number(
    env: Mapping[str, str], name: str, default: str, *, kind: type[int] | type[float], low: float
) -> float:
    raw = env.get(name, "").strip() or default  # set but empty (an unset CI variable) = the default
    try:
        value = kind(raw)
    except ValueError:
        raise UsageError(f"{name} must be a {kind.__name__} >= {low:g}, got {raw!r}") from None
    if value < low:
        raise UsageError(f"{name} must be >= {low:g}, got {raw!r}")
    return value


def load(env: Mapping[str, str] | None = None) -> LiveSettings:
    env = os.environ if env is None else env
    token = env.get("HIDREAM_API_TOKEN", "")
    if not token.strip():
        raise UsageError(
            "HIDREAM_API_TOKEN is not set: the live check needs the API token (it is never printed)"
        )
    try:  # the client's own rules: header-safe, no whitespace inside; the error never shows the token
        token = check_token(token, field="HIDREAM_API_TOKEN").reveal()
        base_url = check_base_url(
            env.get("HIDREAM_API_BASE_URL", "").strip() or production_base_url(), field="HIDREAM_API_BASE_URL"
        )
    except InvalidInputError as exc:
        raise UsageError(str(exc)) from None
    probes = env.get("HIDREAM_LIVE_PROBES", "").strip() or "auto"
    if probes not in PROBE_SETS:
        raise UsageError(f"HIDREAM_LIVE_PROBES must be one of {', '.join(PROBE_SETS)}, got {probes!r}")
    return LiveSettings(
        base_url=base_url,
        token=Secret(token),
        # Possible tasks a run may create. Not 0: a drifted service may accept any request at all.
        max_billable=int(_number(env, "HIDREAM_LIVE_MAX_BILLABLE", str(default_budget()), kind=int, low=1)),
        probes=probes,
        max_rps=_number(env, "HIDREAM_LIVE_MAX_RPS", "5", kind=float, low=0.1),
        timeout_s=_number(env, "HIDREAM_LIVE_TIMEOUT_S", "30", kind=float, low=0.1),
        max_run_s=_number(env, "HIDREAM_LIVE_MAX_RUN_S", "300", kind=float, low=1),
        retries=int(_number(env, "HIDREAM_LIVE_RETRIES", "2", kind=int, low=0)),
        max_retry_wait_s=_number(env, "HIDREAM_LIVE_MAX_RETRY_WAIT_S", "30", kind=float, low=0),
        fuzz_examples=int(_number(env, "HIDREAM_LIVE_FUZZ_EXAMPLES", "30", kind=int, low=0)),
        seed=int(_number(env, "HIDREAM_LIVE_SEED", "20260704", kind=int, low=0)),
        result_reads=int(_number(env, "HIDREAM_LIVE_RESULT_READS", "4", kind=int, low=1)),
        result_interval_s=_number(env, "HIDREAM_LIVE_RESULT_INTERVAL_S", "5", kind=float, low=0),
    )
