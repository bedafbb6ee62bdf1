"""Whether the run's own token is refused: then nothing about the contract can be said (exit 2).

Three answers speak to it (probes.TokenEvidence): the sample without a token (how this service
refuses), an empty body with the token (a 401/403 here can only mean the token is refused) and the
provider's own request with the token. A 401/403 whose challenge names another scheme than the
spec's is not "the token is refused" but drift (checks.auth_scheme_kept): the runner judges that
answer and ends the run with `scheme_changed` instead of asking here.
"""

from __future__ import annotations

from typing import Any

from hidream_contract.live import checks
from hidream_contract.live.guard import TRANSIENT_STATUSES, CouldNotRun
from hidream_contract.live.probes import TokenEvidence


class TokenWatch:
    def __init__(self) -> None:
        self._answers: dict[TokenEvidence, tuple[int, Any]] = {}

    def note(self, evidence: TokenEvidence, response: Any) -> None:
        """Keep one answer; raise CouldNotRun when it shows the token refused."""
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

    def _refused_at_once(self) -> None:
        status, _ = self._answers.get(TokenEvidence.TOKEN_ONLY, (0, None))
        if status not in (401, 403):
            return
        raise CouldNotRun(
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
            raise CouldNotRun(
                f"the token seems refused: with HIDREAM_API_TOKEN the service answers HTTP {anonymous[0]}, "
                f"code {anonymous[1]}, exactly as it answers a request without a token"
            )


def _code_of(response: Any) -> Any:
    envelope = checks.envelope_or_not_json(response)
    return envelope.get("code") if isinstance(envelope, dict) else None
