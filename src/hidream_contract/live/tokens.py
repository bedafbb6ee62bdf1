"""Whether the run's own token is refused: then nothing about the contract can be said (exit 2) —
unless the service now takes the token in another form, which is drift (exit 1).

Three answers speak to it (probes.TokenEvidence): the sample without a token (how this service
refuses), an empty body with the token (a 401/403 here can only mean the token is refused) and the
provider's own request with the token. A 401/403 whose challenge names another scheme than the
spec's is not "the token is refused" but drift (checks.auth_scheme_kept): the runner judges that
answer and ends the run with `scheme_changed` instead of asking here.

Most gateways refuse without a challenge, so a refusal (a 401/403, or the code the sample without a
token gets) is not yet "the token is refused": before saying so, `ask_other_forms` sends the same
token in the other forms gateways commonly take (the bare token, `Token`, `Api-Key`, ... and an
`X-API-Key` header; the spec's security scheme says which form is the documented one, left out)
with a body the spec calls invalid and that names no image (the empty body of the TOKEN_ONLY probe).
These cost nothing: no service can make a task of that body, and the guard sends the token in
another form with no other (guard.py); they still count against the budget like any request with
the token. The first form that gets past authentication (an answer that is not a refusal: not
401/403, not the anonymous refusal's status and code, not a 429/5xx or a redirect) is drift named
with that form and what the spec says; when none does, the token is refused (2). A budget too small
for them, or the deadline, ends the run as any other request would.
"""

from __future__ import annotations

from typing import Any

from hidream_contract.live import checks
from hidream_contract.live.auth import other_forms, spec_says
from hidream_contract.live.findings import LiveResult, Observation
from hidream_contract.live.guard import TRANSIENT_STATUSES, CouldNotRun, NoAnswer
from hidream_contract.live.probes import TokenEvidence
from hidream_contract.live.wire import Wire
from hidream_contract.spec import submit


class TokenRefused(CouldNotRun):
    """The account's token was refused in the documented form (before the other forms are asked)."""


class TokenWatch:
    def __init__(self) -> None:
        self._answers: dict[TokenEvidence, tuple[int, Any]] = {}

    def note(self, evidence: TokenEvidence, response: Any) -> None:
        """Keep one answer; raise TokenRefused when it shows the token refused in the documented form."""
        self._answers[evidence] = (response.status_code, _code_of(response))
        if evidence is TokenEvidence.TOKEN_ONLY:
            self._refused_at_once()
        elif evidence is TokenEvidence.VALID_REQUEST:
            self._refused_by_envelope()

    @staticmethod
    def scheme_changed(evidence: TokenEvidence | None, response: Any) -> CouldNotRun | None:
        """The end of the run when the service refused the documented scheme itself (drift, judged)."""
        if evidence is not TokenEvidence.TOKEN_ONLY or checks.other_scheme_asked(response) is None:
            return None
        return CouldNotRun(
            f"the service refused the bearer token the spec documents (HTTP {response.status_code}) and "
            "asks for another scheme (see the drift): nothing more can be checked"
        )

    def is_refusal(self, response: Any) -> bool:
        """An answer of the refusal shape: 401/403, or exactly what the request without a token got."""
        if response.status_code in (401, 403):
            return True
        anonymous = self._answers.get(TokenEvidence.ANONYMOUS)
        return anonymous is not None and anonymous == (response.status_code, _code_of(response))

    def _refused_at_once(self) -> None:
        status, _ = self._answers.get(TokenEvidence.TOKEN_ONLY, (0, None))
        if status not in (401, 403):
            return
        raise TokenRefused(
            f"the token was refused: a request with HIDREAM_API_TOKEN got HTTP {status} "
            "(check the token; nothing about the contract can be said)"
        )

    def _refused_by_envelope(self) -> None:
        """A service that refuses tokens with HTTP 200 and a code: our token is refused when the
        provider's own request gets exactly the code a request without a token gets, and an empty
        body gets that same code with and without the token."""
        anonymous = self._answers.get(TokenEvidence.ANONYMOUS)
        if anonymous is None or anonymous[1] is None or anonymous[0] in TRANSIENT_STATUSES:
            return
        if 300 <= anonymous[0] < 400:
            return  # a redirect says nothing about the token (endpoint_not_moved names it)
        with_token = self._answers.get(TokenEvidence.TOKEN_ONLY)
        if with_token == anonymous == self._answers.get(TokenEvidence.VALID_REQUEST):
            raise TokenRefused(
                f"the token seems refused: with HIDREAM_API_TOKEN the service answers HTTP {anonymous[0]}, "
                f"code {anonymous[1]}, exactly as it answers a request without a token"
            )


def ask_other_forms(
    refused: TokenRefused, *, watch: TokenWatch, wire: Wire, outcome: LiveResult, body: Any
) -> CouldNotRun:
    """Ask with the token in each other form (the body cannot be a task) and return how the run ends:
    drift recorded and "nothing more can be checked" when a form got past authentication, else the
    refusal itself, saying which forms were refused too. BudgetExhausted and the deadline propagate."""
    refused_too: list[str] = []
    unanswered: list[str] = []
    for form in other_forms():
        name = f"token as {form.label.strip('`')}"
        try:
            response = wire.session.post(
                wire.base_url + submit().path, json=body, headers=wire.token_header(form.header, form.scheme)
            )
        except NoAnswer as exc:
            outcome.inconclusive.append(f"{name}: {exc}")
            unanswered.append(form.label)
            continue
        outcome.probes_run.append(name)
        status = response.status_code
        if status in TRANSIENT_STATUSES or 300 <= status < 400:
            unanswered.append(form.label)
            outcome.inconclusive.append(f"{name}: {checks.describe(response)}; no verdict on this form")
            continue
        if watch.is_refusal(response):
            refused_too.append(form.label)
            continue
        outcome.findings.append(
            Observation(
                kind="drift",
                probe=name,
                check="auth_scheme_kept",
                field="Authorization",
                spec_says=f"{spec_says()}; in that form the service refused the account's token",
                service_did=f"takes the token as {form.label}: a request with it and a body that cannot "
                f"be a task got past authentication ({checks.describe(response)}), without a challenge "
                f"naming it (WWW-Authenticate: {checks.header(response, 'WWW-Authenticate')})",
                reproduce=wire.curl(response.request),
            )
        )
        return CouldNotRun(
            f"the service refused the token in the documented form and takes it as {form.label} "
            "(see the drift): nothing more can be checked"
        )
    said = f" The same token in {len(refused_too)} other forms ({', '.join(refused_too)}) was refused too."
    if unanswered:
        said += f" No verdict on {', '.join(unanswered)} (no conclusive answer)."
    return TokenRefused(f"{refused}{said if refused_too or unanswered else ''}")


def _code_of(response: Any) -> Any:
    envelope = checks.envelope_or_not_json(response)
    return envelope.get("code") if isinstance(envelope, dict) else None
