"""Judging one answer of the live run: schemathesis' built-in checks and the envelope-aware ones
(checks.py), the transient rule for 429/5xx, and the 2-vs-1 rule settled at the end of the run.

The 2-vs-1 rule for answers that stay 429/5xx after retries that were actually sent:
- 429: could not run (2) — rate limiting says nothing about the contract;
- 5xx: drift (1, `not_a_server_error`) if the service answered other requests of the same run with
  a non-429/5xx status (it is up, and this request breaks it). A request without the account's token
  that gets a server error is named on `Authorization`: the service must refuse it, not crash.
  Could not run (2) if it answered nothing else: "it looks down" only when a request *with* the
  token failed too; when only requests without the token were answered, nothing can be said.
A 429/5xx that was not retried (the budget refused the retry, or HIDREAM_LIVE_RETRIES=0) is no
verdict at all: the probe is listed as without a conclusive answer, like one whose answer never came.
"""

from __future__ import annotations

from typing import Any

from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    status_code_conformance,
)

from hidream_contract.live import checks
from hidream_contract.live.findings import LiveResult, Observation
from hidream_contract.live.guard import TRANSIENT_STATUSES, CouldNotRun
from hidream_contract.live.requests_model import Intent
from hidream_contract.live.wire import Wire
from hidream_contract.spec import submit

# Built-in checks kept as they are; response_schema_conformance, positive_data_acceptance,
# negative_data_rejection and ignored_auth are replaced by the envelope-aware checks (checks.py).
BUILT_IN_CHECKS: list[checks.Check] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
FIELD_OF_BUILT_IN = {
    "not_a_server_error": "HTTP status",
    "status_code_conformance": "HTTP status",
    "content_type_conformance": "Content-Type",
    "response_headers_conformance": "response headers",
}


class Judge:
    """Checks answers and writes what they show into the run's outcome."""

    def __init__(self, outcome: LiveResult, wire: Wire, *, retries: int) -> None:
        self.outcome = outcome
        self.wire = wire
        self.retries = retries
        self.checks = checks.LiveChecks(wire.authorization_digest)
        self._persistent_5xx: list[tuple[Observation, bool]] = []  # (drift if the service is up, with token)

    def check(self, probe: str, case: Any, response: Any) -> bool:
        """Check one answer; False when it is no verdict (a 429/5xx that was not retried)."""
        curl = self.wire.curl(response.request)
        status = response.status_code
        if status in TRANSIENT_STATUSES:
            return self._transient(probe, response, curl)
        run = [checks.endpoint_not_moved] if 300 <= status < 400 else [*BUILT_IN_CHECKS, *self.checks.all()]
        for check in run:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                for failure in group.exceptions:
                    self.outcome.findings.append(
                        self._observation(probe, check.__name__, failure, response, curl)
                    )
        expected = self.checks.expectation_of(response)
        if expected.intent in (Intent.SILENT, Intent.UNDETERMINED) and status < 300:
            self.outcome.findings.append(
                Observation(
                    kind="recorded",
                    probe=probe,
                    check="documentation silent",
                    field=", ".join(expected.fields),
                    spec_says="nothing promised: " + "; ".join(expected.reasons),
                    service_did=("accepted it: " if checks.is_acceptance(response) else "rejected it: ")
                    + checks.describe(response),
                    reproduce=curl,
                )
            )
        return True

    def _transient(self, probe: str, response: Any, curl: str) -> bool:
        exchange = self.outcome.traffic.exchange(response.request)
        retries = exchange.retries if exchange is not None else 0
        if retries == 0:  # one 429/5xx is no verdict: a gateway blip looks exactly like this
            why = (
                "a retry would exceed the budget"
                if exchange is not None and exchange.retry_refused
                else "not retried (HIDREAM_LIVE_RETRIES=0)"
            )
            self.outcome.inconclusive.append(f"{probe}: {checks.describe(response)}; {why}")
            return False
        if response.status_code == 429:
            raise CouldNotRun(
                f"{probe}: the service kept answering 429 (rate limited) after {retries} retries"
            )
        documented = ", ".join(map(str, sorted(submit().statuses)))
        with_token = self.wire.carries_token(response.request)
        field, spec_says = (
            ("HTTP status", f"no server error: the operation answers {documented}")
            if with_token
            else (
                "Authorization",
                "a request without the account's token is refused (4xx, or code != 0), "
                f"never a server error: the operation answers {documented}",
            )
        )
        # Settled at the end of the run by the 2-vs-1 rule; no other check means anything here.
        self._persistent_5xx.append(
            (
                Observation(
                    "drift",
                    probe,
                    "not_a_server_error",
                    field,
                    spec_says=spec_says,
                    service_did=checks.describe(response) + f" (also after {retries} retries)",
                    reproduce=curl,
                ),
                with_token,
            )
        )
        return True

    def _observation(self, probe: str, check: str, failure: Failure, response: Any, curl: str) -> Observation:
        if isinstance(failure, checks.ContractDrift):
            return Observation(
                "drift", probe, check, failure.field, failure.spec_says, failure.service_did, curl
            )
        return Observation(
            "drift",
            probe,
            check,
            FIELD_OF_BUILT_IN.get(check, "response"),
            spec_says=f"{failure.title}: {failure.message}".strip().replace("\n", " "),
            service_did=checks.describe(response)
            + f", Content-Type {checks.header(response, 'Content-Type')!r}",
            reproduce=curl,
        )

    def settle_server_errors(self) -> None:
        if not self._persistent_5xx:
            return
        if self.outcome.traffic.answered_non_transient:
            self.outcome.findings.extend(observation for observation, _ in self._persistent_5xx)
            return
        statuses = ", ".join(
            map(str, sorted({s for s in self.outcome.traffic.statuses if s in TRANSIENT_STATUSES}))
        )
        if any(with_token for _, with_token in self._persistent_5xx):
            self.outcome.could_not_run.append(
                f"the service answered every request with a server error ({statuses}), "
                f"also after {self.retries} retries: it looks down"
            )
        else:
            self.outcome.could_not_run.append(
                f"only requests without the account's token got answers, all server errors ({statuses}); "
                "no request with the token was answered, so nothing can be said about the service"
            )
