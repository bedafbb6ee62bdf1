"""The live run's wire: its one guarded session, the account's Authorization header, and reproductions.

Everything a run sends leaves through `Wire.session` (the guard's adapter is mounted on it, guard.py),
so the budget, the rate limit and the deadline hold for the probes, schemathesis' negative cases, the
method probes and the result reads alike. The token lives here and in the guard's digest only: the
reproductions (`curl`) read it from $HIDREAM_API_TOKEN instead of containing it.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from typing import Any

import requests

from hidream_contract.live.auth import authorization_scheme
from hidream_contract.live.guard import (
    Budget,
    FreeReads,
    GuardedAdapter,
    Traffic,
    authorization_digest,
    guarded_session,
)
from hidream_contract.live.requests_model import cannot_be_task
from hidream_contract.live.settings import LiveSettings

NOISY_HEADERS = frozenset({"user-agent", "accept-encoding", "accept", "connection", "content-length"})


class Wire:
    def __init__(
        self,
        config: LiveSettings,
        *,
        budget: Budget,
        traffic: Traffic,
        free_reads: FreeReads,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = config.base_url
        self.started = time.monotonic()
        self.max_run_s = config.max_run_s
        self._token = config.token
        self.authorization = f"{authorization_scheme()} {config.token.reveal()}"  # the spec's scheme
        self.authorization_digest = authorization_digest(self.authorization)
        self.adapter = GuardedAdapter(
            budget=budget,
            traffic=traffic,
            min_interval_s=1.0 / config.max_rps,
            timeout_s=config.timeout_s,
            deadline=self.started + config.max_run_s,
            retries=config.retries,
            max_retry_wait_s=config.max_retry_wait_s,
            sleep=sleep,
            free_reads=free_reads,
            account_authorization_digest=self.authorization_digest,
            account_token_digest=authorization_digest(config.token.reveal()),
            cannot_be_task=cannot_be_task,
        )
        self.session: requests.Session = guarded_session(self.adapter)

    def __repr__(self) -> str:  # never the token
        return f"Wire(base_url={self.base_url!r})"

    def time_left(self) -> float:
        return self.max_run_s - (time.monotonic() - self.started)

    def carries_token(self, request: Any) -> bool:
        """Whether a sent request carried the account's token (the guard's own rule)."""
        return self.adapter.billable(request)

    def token_header(self, header: str, scheme: str) -> dict[str, str]:
        """The account's token in another form: `header: <scheme> <token>` (`scheme` "" for the bare
        token). Only for the guard to send (with a body that cannot be a task); never shown."""
        token = self._token.reveal()
        return {header: f"{scheme} {token}" if scheme else token}

    def close(self) -> None:
        self.session.close()

    def curl(self, request: Any) -> str:
        """A reproduction that reads the token from the environment instead of containing it."""
        parts = ["curl", "-X", str(request.method), shlex.quote(str(request.url))]
        for name, value in request.headers.items():
            if name.lower() in NOISY_HEADERS or name.lower().startswith("x-schemathesis"):
                continue
            if self._token.reveal() in f"{name}: {value}":  # the token, in any form: by reference
                pieces = f"{name}: {value}".split(self._token.reveal())
                parts += ["-H", '"' + "$HIDREAM_API_TOKEN".join(map(_double_quoted, pieces)) + '"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        if request.body:
            body = (
                request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body
            )
            parts += ["--data-raw", shlex.quote(body)]
        return " ".join(parts)


def _double_quoted(text: str) -> str:
    """Text as the inside of a shell double-quoted word: nothing in it expands."""
    return "".join("\\" + c if c in '\\"$`' else c for c in text)
