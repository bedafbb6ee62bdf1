"""One live run: the planned probes, schemathesis' negative cases and the method probes, then the
result reads; each answer judged (judge.py), findings into the outcome (findings.py).

The order (probes.py): negatives first (free on a faithful service), schemathesis' negative cases
(fuzz.py), the undeclared methods, then the paid probes (the provider's sample first), then the
page's curl sample and, with HIDREAM_LIVE_PROBES=all, the other silent ones. The guard (guard.py,
behind wire.py) decides whether each request may be sent; the first one it refuses ends the run, and
everything after it is reported as left out.

Network errors, TLS errors, a refused token, the time limit: could not run (2). Running out of budget
is not, once the provider's sample has been answered: the verdict stands on what ran. When a run
finds drift and then cannot go on, the drift decides (1): it is a fact about the service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import schemathesis

from hidream_contract.live import checks, fuzz, results
from hidream_contract.live.auth import authorization_scheme
from hidream_contract.live.findings import LiveResult, Observation
from hidream_contract.live.guard import TRANSIENT_STATUSES, Budget, BudgetExhausted, CouldNotRun, NoAnswer
from hidream_contract.live.judge import Judge
from hidream_contract.live.probes import INVALID_TOKEN, Plan, Probe, TokenEvidence, negative_probes, plan
from hidream_contract.live.settings import LiveSettings
from hidream_contract.live.surface import Sent, coverage, not_exercised
from hidream_contract.live.tokens import TokenRefused, TokenWatch, ask_other_forms
from hidream_contract.live.wire import Wire
from hidream_contract.spec import SPEC_PATH, submit

SUBMIT_PATH = submit().path
UNDECLARED_METHODS = ("GET", "PUT", "DELETE")
FUZZ_STEP = "schemathesis negative cases"


class LiveRun:
    def __init__(self, config: LiveSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.outcome = LiveResult(budget=Budget(config.max_billable))
        # The result read of the tasks the paid probes create: free GETs, bounded (results.py).
        self._result_reads = results.ResultReads(
            reads_per_task=config.result_reads,
            interval_s=config.result_interval_s,
            tasks_limit=config.max_billable,
            sleep=sleep,
        )
        self.wire = Wire(
            config,
            budget=self.outcome.budget,
            traffic=self.outcome.traffic,
            free_reads=self._result_reads.allowance,
            sleep=sleep,
        )
        self.judge = Judge(self.outcome, self.wire, retries=config.retries)
        self._schema = schemathesis.openapi.from_path(SPEC_PATH)
        self._operation = self._schema[SUBMIT_PATH][submit().method]
        self._tokens = TokenWatch()
        # The body the token in other forms is sent with: the TOKEN_ONLY probe's (the spec calls it invalid).
        self._harmless_body = next(
            p.body for p in negative_probes() if p.token_evidence is TokenEvidence.TOKEN_ONLY
        )
        self._sample_answered = False

    def run(self) -> LiveResult:
        chosen: Plan | None = None
        try:
            chosen = plan(self.config.probes, self.config.max_billable)
            self.outcome.not_asked = [p.name for p in chosen.not_asked]
            self._run_plan(chosen)
            self._result_reads.run(self.wire, self.outcome, timeout_s=self.config.timeout_s)
        except CouldNotRun as exc:
            self.outcome.could_not_run.append(str(exc))
        except Exception as exc:  # a bug of the check: reported (exit 2), never mistaken for drift
            self.outcome.internal_error = True
            self.outcome.could_not_run.append(
                f"internal error of the check (a bug, not drift): {type(exc).__name__}: {exc}"
            )
        finally:
            self.wire.close()
        self.judge.settle_server_errors()
        if chosen is not None:
            self._judge_sample(chosen)
        self.outcome.not_exercised = not_exercised(
            coverage(self.outcome.sent, self.outcome.operations_answered)
        )
        self.outcome.seconds = time.monotonic() - self.wire.started
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
            headers["Authorization"] = self.wire.authorization
        elif probe.auth == "invalid":
            headers["Authorization"] = f"{authorization_scheme()} {INVALID_TOKEN}"  # the spec's scheme
        response: Any
        operation = self._schema[probe.path]["POST"]
        try:
            if probe.raw is None:
                case = operation.Case(body=probe.body, headers=headers, media_type="application/json")
                response = case.call(base_url=self.config.base_url, session=self.wire.session)
            else:  # sent byte for byte, as the page's curl sample does; judged against the same operation
                case = operation.Case(headers=headers)
                response = self.wire.session.post(
                    self.config.base_url + probe.path, data=probe.raw.encode("utf-8"), headers=headers
                )
        except NoAnswer:
            self._record_sent(probe, None, "no answer")
            raise
        self.outcome.probes_run.append(probe.name)
        if not 300 <= response.status_code < 400 and response.status_code not in TRANSIENT_STATUSES:
            self.outcome.operations_answered.add(f"POST {probe.path}")
        self._result_reads.note(probe.name, response)
        scheme_changed = self._tokens.scheme_changed(probe.token_evidence, response)
        if probe.token_evidence is not None and scheme_changed is None:
            try:
                self._tokens.note(probe.token_evidence, response)
            except TokenRefused as refused:  # ends the run unjudged: refused (2), or taken otherwise (1)
                raise ask_other_forms(
                    refused,
                    watch=self._tokens,
                    wire=self.wire,
                    outcome=self.outcome,
                    body=self._harmless_body,
                ) from None
        before = len(self.outcome.findings)
        conclusive = self.judge.check(probe.name, case, response)
        for finding in self.outcome.findings[before:]:  # named with its operation when not the submit
            finding.operation = "" if probe.path == SUBMIT_PATH else f"POST {probe.path}"
        if scheme_changed is not None:  # judged (auth_scheme_kept names it), and nothing more can run
            raise scheme_changed
        # A redirect is no answer about the request (endpoint_not_moved names it), so it covers nothing.
        conclusive = conclusive and not 300 <= response.status_code < 400
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
                operation=f"POST {probe.path}",
            )
        )

    def _fuzz_negative(self) -> None:
        fuzz.negative_cases(
            self._operation,
            examples=self.config.fuzz_examples,
            seed=self.config.seed,
            wire=self.wire,
            judge=self.judge,
            outcome=self.outcome,
        )

    # --- undeclared methods: the documentation is silent, so only recorded -----------------------
    def _method_probe(self, method: str) -> None:
        url = self.config.base_url + SUBMIT_PATH
        response = self.wire.session.request(method, url, headers={"Authorization": self.wire.authorization})
        self.outcome.probes_run.append(f"{method} (undeclared)")
        self.outcome.findings.append(
            Observation(
                kind="recorded",
                probe=f"{method} (undeclared)",
                check="documentation silent: undeclared method",
                field="HTTP method",
                spec_says=f"only POST is declared; the documentation does not say how {method} is answered",
                service_did=checks.describe(response) + f", Allow: {checks.header(response, 'Allow')}",
                reproduce=self.wire.curl(response.request),
            )
        )
