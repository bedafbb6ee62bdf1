"""One live run: the planned probes, schemathesis' negative cases and the method probes, each answer
checked by schemathesis' built-in checks and the envelope-aware ones; findings for the report.

The 2-vs-1 rule for answers that stay 429/5xx after the bounded retries:
- 429: could not run (2) — rate limiting says nothing about the contract;
- 5xx: drift (1, `not_a_server_error`) if the service answered other requests of the same run with
  a non-429/5xx status (it is up, and this request breaks it); could not run (2) if it answered
  nothing else (it is down).
Network errors, TLS errors, timeouts, a refused token, the budget or the time limit: could not run (2).
When a run finds drift and then cannot go on, the drift decides (1): it is a fact about the service.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    status_code_conformance,
)

from hidream_contract.live import checks
from hidream_contract.live.guard import (
    TRANSIENT_STATUSES,
    Budget,
    CouldNotRun,
    GuardedAdapter,
    Traffic,
    guarded_session,
)
from hidream_contract.live.probes import INVALID_TOKEN, Plan, Probe, TokenEvidence, plan
from hidream_contract.live.requests_model import (
    Intent,
    authorization_digest,
    expectation_for,
    names_real_image,
)
from hidream_contract.live.settings import LiveSettings
from hidream_contract.spec import SPEC_PATH, submit

SUBMIT_PATH = submit().path

OPERATION = f"{submit().label} ({submit().operation_id})"
# Built-in checks kept as they are; response_schema_conformance, positive_data_acceptance,
# negative_data_rejection and ignored_auth are replaced by the envelope-aware checks.
CHECKS: list[Callable[..., bool | None]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    checks.envelope_conformance,
    checks.accepted_when_valid,
    checks.rejected_when_invalid,
    checks.auth_enforced,
]
UNDECLARED_METHODS = ("GET", "PUT", "DELETE")
NOISY_HEADERS = frozenset({"user-agent", "accept-encoding", "accept", "connection", "content-length"})


@dataclass
class Observation:
    kind: str  # "drift" | "recorded"
    probe: str
    check: str
    field: str
    spec_says: str
    service_did: str
    reproduce: str


@dataclass
class LiveResult:
    findings: list[Observation] = field(default_factory=list)
    could_not_run: list[str] = field(default_factory=list)
    probes_run: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    fuzz_sent: int = 0
    tasks_created: int = 0  # answers with code 0: tasks the service says it created (and bills)
    fuzz_drawn: int = 0
    traffic: Traffic = field(default_factory=Traffic)
    budget: Budget = field(default_factory=lambda: Budget(0))
    seconds: float = 0.0

    @property
    def drifts(self) -> list[Observation]:
        return [f for f in self.findings if f.kind == "drift"]

    @property
    def exit_status(self) -> int:
        if self.drifts:
            return 1
        return 2 if self.could_not_run else 0


class LiveRun:
    def __init__(self, config: LiveSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.outcome = LiveResult(budget=Budget(config.max_billable))
        self._started = time.monotonic()
        self._adapter = GuardedAdapter(
            budget=self.outcome.budget,
            traffic=self.outcome.traffic,
            min_interval_s=1.0 / config.max_rps,
            timeout_s=config.timeout_s,
            deadline=self._started + config.max_run_s,
            retries=config.retries,
            max_retry_wait_s=config.max_retry_wait_s,
            sleep=sleep,
        )
        self._session = guarded_session(self._adapter)
        self._schema = schemathesis.openapi.from_path(SPEC_PATH)
        self._operation = self._schema[SUBMIT_PATH]["POST"]
        self._authorization = f"Bearer {config.token.reveal()}"
        checks.CONTEXT.valid_authorization_digest = authorization_digest(self._authorization)
        self._persistent_5xx: list[Observation] = []
        self._token_answers: dict[TokenEvidence, tuple[int, Any]] = {}

    # --- the run ------------------------------------------------------------------------------
    def run(self) -> LiveResult:
        try:
            chosen = plan(self.config.probes, self.config.max_billable)
            self.outcome.skipped = [p.name for p in chosen.skipped]
            self._run_plan(chosen)
        except CouldNotRun as exc:
            self.outcome.could_not_run.append(str(exc))
        finally:
            self._session.close()
        self._settle_server_errors()
        self.outcome.seconds = time.monotonic() - self._started
        return self.outcome

    def _run_plan(self, chosen: Plan) -> None:
        for probe in chosen.free:
            self._probe(probe)
        if not self.outcome.traffic.answered_non_transient:
            # Not one normal answer to the free probes: spend nothing billable on a service that is down.
            return
        for probe in chosen.billable:
            self._probe(probe)
        if chosen.fuzz and self.config.fuzz_examples:
            self._fuzz_negative()
        for method in UNDECLARED_METHODS:
            self._method_probe(method)

    # --- explicit probes ----------------------------------------------------------------------
    def _probe(self, probe: Probe) -> None:
        headers = dict(probe.headers)
        if probe.auth == "token":
            headers["Authorization"] = self._authorization
        elif probe.auth == "invalid":
            headers["Authorization"] = f"Bearer {INVALID_TOKEN}"
        case = self._operation.Case(body=probe.body, headers=headers, media_type="application/json")
        response = case.call(base_url=self.config.base_url, session=self._session)
        self.outcome.probes_run.append(probe.name)
        if probe.token_evidence is not None:
            self._token_answers[probe.token_evidence] = (response.status_code, _code_of(response))
            if probe.token_evidence is TokenEvidence.TOKEN_ONLY:
                self._token_refused_at_once()
            elif probe.token_evidence is TokenEvidence.VALID_REQUEST:
                self._token_refused_by_envelope()
        self._check(probe.name, case, response)

    def _token_refused_at_once(self) -> None:
        status, _ = self._token_answers.get(TokenEvidence.TOKEN_ONLY, (0, None))
        if status in (401, 403):
            raise CouldNotRun(
                f"the token was refused: a request with HIDREAM_API_TOKEN got HTTP {status} "
                "(check the token; nothing about the contract can be said)"
            )

    def _token_refused_by_envelope(self) -> None:
        """A service that refuses tokens with HTTP 200 and a code: our token is refused when the
        provider's own request gets exactly the code a request without a token gets, and an empty
        body gets that same code with and without the token."""
        anonymous = self._token_answers.get(TokenEvidence.ANONYMOUS)
        if anonymous is None or anonymous[1] is None or anonymous[0] in TRANSIENT_STATUSES:
            return
        with_token = self._token_answers.get(TokenEvidence.TOKEN_ONLY)
        if with_token == anonymous == self._token_answers.get(TokenEvidence.VALID_REQUEST):
            raise CouldNotRun(
                f"the token seems refused: with HIDREAM_API_TOKEN the service answers HTTP {anonymous[0]}, "
                f"code {anonymous[1]}, exactly as it answers a request without a token"
            )

    # --- schemathesis' negative cases -----------------------------------------------------------
    def _fuzz_negative(self) -> None:
        """Negative cases from the spec, sent only when they break a hard rule and name no real image:
        the service must reject them, and they cost nothing."""
        aborted: list[CouldNotRun] = []

        @hypothesis_seed(self.config.seed)
        @settings(
            max_examples=self.config.fuzz_examples,
            database=None,
            deadline=None,
            phases=[Phase.generate],  # no shrinking: it would send more requests
            suppress_health_check=list(HealthCheck),
        )
        @given(case=self._operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        def draw(case: Any) -> None:
            if aborted:
                return
            self.outcome.fuzz_drawn += 1
            headers = {
                **{k: str(v) for k, v in (case.headers or {}).items()},
                "Authorization": self._authorization,
            }
            case.headers = headers
            raw = _serialized(case.body)
            if names_real_image(raw) or expectation_for(
                raw, headers, checks.CONTEXT.valid_authorization_digest
            ).intent is not (Intent.REJECT):
                return
            try:
                response = case.call(base_url=self.config.base_url, session=self._session)
            except CouldNotRun as exc:
                aborted.append(exc)
                return
            self.outcome.fuzz_sent += 1
            self._check(f"negative case {self.outcome.fuzz_sent}", case, response)

        draw()
        if aborted:
            raise aborted[0]

    # --- undeclared methods: the documentation is silent, so only recorded -----------------------
    def _method_probe(self, method: str) -> None:
        url = self.config.base_url + SUBMIT_PATH
        response = self._session.request(method, url, headers={"Authorization": self._authorization})
        self.outcome.probes_run.append(f"{method} (undeclared)")
        self.outcome.findings.append(
            Observation(
                kind="recorded",
                probe=f"{method} (undeclared)",
                check="documentation silent: undeclared method",
                field="HTTP method",
                spec_says=f"only POST is declared; the documentation does not say how {method} is answered",
                service_did=checks.describe(response) + f", Allow: {checks.header(response, 'Allow')}",
                reproduce=self._curl(response.request),
            )
        )

    # --- checking one answer ---------------------------------------------------------------------
    def _check(self, probe: str, case: Any, response: Any) -> None:
        if response.status_code == 429:
            raise CouldNotRun(
                f"{probe}: the service kept answering 429 (rate limited) after {self.config.retries} retries"
            )
        curl = self._curl(response.request)
        if checks.is_acceptance(response):
            self.outcome.tasks_created += 1
        if response.status_code in TRANSIENT_STATUSES:
            # Settled at the end of the run by the 2-vs-1 rule; no other check means anything here.
            self._persistent_5xx.append(
                Observation(
                    "drift",
                    probe,
                    "not_a_server_error",
                    "HTTP status",
                    spec_says="no server error: the operation answers 200, 400, 401 or 403",
                    service_did=checks.describe(response) + f" (also after {self.config.retries} retries)",
                    reproduce=curl,
                )
            )
            return
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                for failure in group.exceptions:
                    self.outcome.findings.append(
                        self._observation(probe, check.__name__, failure, response, curl)
                    )
        expected = checks.expectation_of(response)
        if expected.intent in (Intent.SILENT, Intent.UNDETERMINED) and response.status_code < 500:
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

    def _observation(self, probe: str, check: str, failure: Failure, response: Any, curl: str) -> Observation:
        if isinstance(failure, checks.ContractDrift):
            return Observation(
                "drift", probe, check, failure.field, failure.spec_says, failure.service_did, curl
            )
        field_name = {
            "not_a_server_error": "HTTP status",
            "status_code_conformance": "HTTP status",
            "content_type_conformance": "Content-Type",
            "response_headers_conformance": "response headers",
        }.get(check, "response")
        return Observation(
            "drift",
            probe,
            check,
            field_name,
            spec_says=f"{failure.title}: {failure.message}".strip().replace("\n", " "),
            service_did=checks.describe(response)
            + f", Content-Type {checks.header(response, 'Content-Type')!r}",
            reproduce=curl,
        )

    def _settle_server_errors(self) -> None:
        if not self._persistent_5xx:
            return
        if self.outcome.traffic.answered_non_transient:
            self.outcome.findings.extend(self._persistent_5xx)
        else:
            statuses = sorted({s for s in self.outcome.traffic.statuses if s in TRANSIENT_STATUSES})
            self.outcome.could_not_run.append(
                f"the service answered every request with a server error ({', '.join(map(str, statuses))}), "
                f"also after {self.config.retries} retries: it looks down"
            )

    def _curl(self, request: Any) -> str:
        """A reproduction that reads the token from the environment instead of containing it."""
        parts = ["curl", "-X", str(request.method), shlex.quote(str(request.url))]
        for name, value in request.headers.items():
            if name.lower() in NOISY_HEADERS or name.lower().startswith("x-schemathesis"):
                continue
            if name.lower() == "authorization" and value == self._authorization:
                parts += ["-H", '"Authorization: Bearer $HIDREAM_API_TOKEN"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        if request.body:
            body = (
                request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body
            )
            parts += ["--data-raw", shlex.quote(body)]
        return " ".join(parts)


def _code_of(response: Any) -> Any:
    envelope = checks.envelope_or_not_json(response)
    return envelope.get("code") if isinstance(envelope, dict) else None


def _serialized(body: Any) -> bytes | str | None:
    if isinstance(body, bytes | str):
        return body
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return None
