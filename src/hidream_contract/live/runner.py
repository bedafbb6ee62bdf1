"""One live run: the planned probes, schemathesis' negative cases and the method probes, each answer
checked by schemathesis' built-in checks and the envelope-aware ones; findings for the report.

The order (probes.py): negatives first (free on a faithful service), schemathesis' negative cases,
the undeclared methods, then the paid probes (the provider's sample first), then, with
HIDREAM_LIVE_PROBES=all, the silent ones. The guard (guard.py) decides whether each request may be
sent; the first one it refuses ends the run, and everything after it is reported as left out.

The 2-vs-1 rule for answers that stay 429/5xx after retries that were actually sent:
- 429: could not run (2) — rate limiting says nothing about the contract;
- 5xx: drift (1, `not_a_server_error`) if the service answered other requests of the same run with
  a non-429/5xx status (it is up, and this request breaks it); could not run (2) if it answered
  nothing else (it is down).
A 429/5xx that was not retried (the budget refused the retry, or HIDREAM_LIVE_RETRIES=0) is no
verdict at all: the probe is listed as without a conclusive answer, like one whose answer never came.
Network errors, TLS errors, a refused token, the time limit: could not run (2). Running out of budget
is not, once the provider's sample has been answered: the verdict stands on what ran.
When a run finds drift and then cannot go on, the drift decides (1): it is a fact about the service.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
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

from hidream_contract.live import checks, results
from hidream_contract.live.guard import (
    TRANSIENT_STATUSES,
    Budget,
    BudgetExhausted,
    CouldNotRun,
    GuardedAdapter,
    NoAnswer,
    Traffic,
    guarded_session,
)
from hidream_contract.live.probes import INVALID_TOKEN, Plan, Probe, TokenEvidence, plan
from hidream_contract.live.requests_model import Intent, authorization_digest, expectation_for
from hidream_contract.live.settings import LiveSettings
from hidream_contract.live.surface import Sent
from hidream_contract.spec import SPEC_PATH, submit

SUBMIT_PATH = submit().path

OPERATION = f"{submit().label} ({submit().operation_id})"
# Built-in checks kept as they are; response_schema_conformance, positive_data_acceptance,
# negative_data_rejection and ignored_auth are replaced by the envelope-aware checks (checks.py).
BUILT_IN_CHECKS: list[checks.Check] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
UNDECLARED_METHODS = ("GET", "PUT", "DELETE")
NOISY_HEADERS = frozenset({"user-agent", "accept-encoding", "accept", "connection", "content-length"})
FUZZ_STEP = "schemathesis negative cases"


@dataclass
class Observation:
    kind: str  # "drift" | "recorded"
    probe: str
    check: str
    field: str
    spec_says: str
    service_did: str
    reproduce: str
    operation: str = ""  # the operation it is about; "" for the submit (OPERATION)


@dataclass
class LiveResult:
    findings: list[Observation] = field(default_factory=list)
    could_not_run: list[str] = field(default_factory=list)
    probes_run: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # asked, but the budget ran out before them
    left_out_reason: str = ""
    not_asked: list[str] = field(default_factory=list)  # not in HIDREAM_LIVE_PROBES' set
    inconclusive: list[str] = field(default_factory=list)  # sent, but no answer to judge
    sent: list[Sent] = field(default_factory=list)  # what each planned probe carried (coverage)
    fuzz_sent: int = 0
    fuzz_drawn: int = 0
    traffic: Traffic = field(default_factory=Traffic)
    budget: Budget = field(default_factory=lambda: Budget(0))
    seconds: float = 0.0

    @property
    def drifts(self) -> list[Observation]:
        return [f for f in self.findings if f.kind == "drift"]

    @property
    def tasks_created(self) -> int:
        """Possible tasks: accepted answers plus answers that never came or could not be read."""
        return self.budget.possible

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
        # The result read of the tasks the paid probes create: free GETs, bounded (results.py).
        self._result_reads = results.ResultReads(
            reads_per_task=config.result_reads,
            interval_s=config.result_interval_s,
            tasks_limit=config.max_billable,
            sleep=sleep,
        )
        self._adapter = GuardedAdapter(
            budget=self.outcome.budget,
            traffic=self.outcome.traffic,
            min_interval_s=1.0 / config.max_rps,
            timeout_s=config.timeout_s,
            deadline=self._started + config.max_run_s,
            retries=config.retries,
            max_retry_wait_s=config.max_retry_wait_s,
            sleep=sleep,
            free_reads=self._result_reads.allowance,
        )
        self._session = guarded_session(self._adapter)
        self._schema = schemathesis.openapi.from_path(SPEC_PATH)
        self._operation = self._schema[SUBMIT_PATH][submit().method]
        self._authorization = f"Bearer {config.token.reveal()}"
        self._checks = checks.LiveChecks(authorization_digest(self._authorization))
        self._persistent_5xx: list[Observation] = []
        self._token_answers: dict[TokenEvidence, tuple[int, Any]] = {}
        self._sample_answered = False

    # --- the run ------------------------------------------------------------------------------
    def run(self) -> LiveResult:
        chosen: Plan | None = None
        try:
            chosen = plan(self.config.probes, self.config.max_billable)
            self.outcome.not_asked = [p.name for p in chosen.not_asked]
            self._run_plan(chosen)
            self._result_reads.run(self)
        except CouldNotRun as exc:
            self.outcome.could_not_run.append(str(exc))
        finally:
            self._session.close()
        self._settle_server_errors()
        if chosen is not None:
            self._judge_sample(chosen)
        self.outcome.seconds = time.monotonic() - self._started
        return self.outcome

    def _judge_sample(self, chosen: Plan) -> None:
        """Running out of budget is no verdict until the provider's sample has been answered: without
        it nothing is known about the success envelope (or the token); with HIDREAM_LIVE_PROBES=free,
        until at least one probe has. Drift found decides anyway."""
        outcome = self.outcome
        if outcome.drifts or outcome.could_not_run:
            return
        why = " before the budget ran out" if outcome.left_out else ""
        limit = f"(HIDREAM_LIVE_MAX_BILLABLE={self.config.max_billable})"
        if chosen.needs_sample and not self._sample_answered:
            outcome.could_not_run.append(
                f"the provider's sample got no conclusive answer{why}: nothing is known about the "
                f"success envelope {limit}"
            )
        elif not any(sent.status is not None for sent in outcome.sent):
            outcome.could_not_run.append(f"no probe got a conclusive answer{why} {limit}")

    def _steps(self, chosen: Plan) -> list[tuple[str, Callable[[], None]]]:
        steps: list[tuple[str, Callable[[], None]]] = [
            (p.name, partial(self._probe, p)) for p in chosen.negative
        ]
        if self.config.fuzz_examples:
            steps.append((FUZZ_STEP, self._fuzz_negative))
        steps += [(f"{m} (undeclared)", partial(self._method_probe, m)) for m in UNDECLARED_METHODS]
        steps += [(p.name, partial(self._probe, p)) for p in chosen.paid + chosen.silent]
        return steps

    def _run_plan(self, chosen: Plan) -> None:
        steps = self._steps(chosen)
        paid = {p.name for p in chosen.paid + chosen.silent}
        for index, (name, step) in enumerate(steps):
            if name in paid and not self.outcome.traffic.answered_non_transient:
                # Not one normal answer so far: send nothing a faithful service bills to one that is down.
                return
            try:
                step()
            except BudgetExhausted as exc:
                rest = [n for n, _ in steps[index:]]
                if name == FUZZ_STEP and self.outcome.fuzz_sent:
                    rest[0] = f"{FUZZ_STEP} (after {self.outcome.fuzz_sent} sent)"
                self.outcome.left_out = rest
                self.outcome.left_out_reason = str(exc)
                return
            except NoAnswer as exc:
                self.outcome.inconclusive.append(f"{name}: {exc}")

    # --- explicit probes ----------------------------------------------------------------------
    def _probe(self, probe: Probe) -> None:
        headers = dict(probe.headers)
        if probe.auth == "token":
            headers["Authorization"] = self._authorization
        elif probe.auth == "invalid":
            headers["Authorization"] = f"Bearer {INVALID_TOKEN}"
        case = self._operation.Case(body=probe.body, headers=headers, media_type="application/json")
        try:
            response = case.call(base_url=self.config.base_url, session=self._session)
        except NoAnswer:
            self._record_sent(probe, None, "no answer")
            raise
        self.outcome.probes_run.append(probe.name)
        self._result_reads.note(probe.name, response)
        if probe.token_evidence is not None:
            self._token_answers[probe.token_evidence] = (response.status_code, _code_of(response))
            if probe.token_evidence is TokenEvidence.TOKEN_ONLY:
                self._token_refused_at_once()
            elif probe.token_evidence is TokenEvidence.VALID_REQUEST:
                self._token_refused_by_envelope()
        # A redirect is no answer about the request (endpoint_not_moved names it), so it covers nothing.
        conclusive = self._check(probe.name, case, response) and not 300 <= response.status_code < 400
        outcome = (
            "accepted"
            if checks.is_acceptance(response)
            else "rejected"
            if checks.is_rejection(response)
            else ""
        )
        self._record_sent(
            probe, response.status_code if conclusive else None, outcome or checks.describe(response)
        )
        if conclusive and probe.token_evidence is TokenEvidence.VALID_REQUEST:
            self._sample_answered = True

    def _record_sent(self, probe: Probe, status: int | None, outcome: str) -> None:
        headers = {
            k.lower(): ("(token)" if k.lower() == "authorization" else v) for k, v in probe.headers.items()
        }
        if probe.auth != "none":
            headers["authorization"] = "(the account's token)" if probe.auth == "token" else "(another token)"
        self.outcome.sent.append(
            Sent(
                probe.name,
                probe.body,
                headers,
                status,
                outcome if status is not None else f"no conclusive answer ({outcome})",
            )
        )

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
        if 300 <= anonymous[0] < 400:
            return  # a redirect says nothing about the token (endpoint_not_moved names it)
        with_token = self._token_answers.get(TokenEvidence.TOKEN_ONLY)
        if with_token == anonymous == self._token_answers.get(TokenEvidence.VALID_REQUEST):
            raise CouldNotRun(
                f"the token seems refused: with HIDREAM_API_TOKEN the service answers HTTP {anonymous[0]}, "
                f"code {anonymous[1]}, exactly as it answers a request without a token"
            )

    # --- schemathesis' negative cases -----------------------------------------------------------
    def _fuzz_negative(self) -> None:
        """Negative cases from the spec, sent only when they break a rule the documentation states
        as hard: the service must reject them, so on a faithful service they cost nothing."""
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
            expected = expectation_for(raw, headers, self._checks.valid_authorization_digest)
            if expected.intent is not Intent.REJECT:
                return
            try:
                response = case.call(base_url=self.config.base_url, session=self._session)
            except NoAnswer as exc:
                self.outcome.inconclusive.append(f"negative case {self.outcome.fuzz_sent + 1}: {exc}")
                return
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
    def _check(self, probe: str, case: Any, response: Any) -> bool:
        """Check one answer; False when it is no verdict (a 429/5xx that was not retried)."""
        curl = self._curl(response.request)
        status = response.status_code
        if status in TRANSIENT_STATUSES:
            return self._transient(probe, response, curl)
        run = [checks.endpoint_not_moved] if 300 <= status < 400 else [*BUILT_IN_CHECKS, *self._checks.all()]
        for check in run:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                for failure in group.exceptions:
                    self.outcome.findings.append(
                        self._observation(probe, check.__name__, failure, response, curl)
                    )
        expected = self._checks.expectation_of(response)
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
        # Settled at the end of the run by the 2-vs-1 rule; no other check means anything here.
        self._persistent_5xx.append(
            Observation(
                "drift",
                probe,
                "not_a_server_error",
                "HTTP status",
                spec_says="no server error: the operation answers "
                + ", ".join(map(str, sorted(submit().statuses))),
                service_did=checks.describe(response) + f" (also after {retries} retries)",
                reproduce=curl,
            )
        )
        return True

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
