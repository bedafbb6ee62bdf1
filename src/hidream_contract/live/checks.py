"""Envelope-aware checks for the live run, passed explicitly to each `case.validate_response` call.

Nothing here is registered with schemathesis and nothing is module-level state: `LiveChecks` is built
per run with what it needs (the digest of the run's Authorization header), so the mock contract suite
and a live run can share a process without one's checks leaking into the other's default set.

Schemathesis' own `positive_data_acceptance`, `negative_data_rejection` and `ignored_auth` read only
the HTTP status. This service rejects with HTTP 200 and a non-zero `code` as often as with a 4xx, so
these checks read the envelope: a rejection is a 4xx or a non-zero `code`; an acceptance is a 2xx with
`code` 0 and a conforming `result`. What a request must get is worked out from the request as sent
(requests_model.expectation_for), so the same checks serve explicit probes and fuzzed cases. Answers
are validated against the spec's own schema for their status (requests_model.response_schema),
whatever its components are called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
from schemathesis.core.failures import Failure

from hidream_contract.live import auth
from hidream_contract.live.requests_model import (
    Expectation,
    Intent,
    expectation_for,
    header_parameters,
    request_schema,
    request_schema_name,
    required_names,
    response_schema,
    spec,
    validator_for,
)
from hidream_contract.spec import resolve, submit

OPERATION = submit().label
DOCUMENTED_STATUSES = submit().statuses

Check = Callable[[Any, Any, Any], bool | None]


class ContractDrift(Failure):
    """A difference between the spec and the service, with what the drift report needs."""

    code = "HD901"
    kind_title = "Contract drift"

    def __init__(self, *, title: str, field: str, spec_says: str, service_did: str) -> None:
        super().__init__(
            operation=OPERATION, title=title, message=f"{field}: spec says {spec_says}; service {service_did}"
        )
        self.field = field
        self.spec_says = spec_says
        self.service_did = service_did


def envelope_or_not_json(response: Any) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


_NOT_JSON = object()


def header(response: Any, name: str) -> str:
    """One response header, from a requests or a schemathesis response, '(none)' when absent."""
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, list) else value)
    return "(none)"


def is_acceptance(response: Any) -> bool:
    envelope = envelope_or_not_json(response)
    return 200 <= response.status_code < 300 and isinstance(envelope, dict) and envelope.get("code") == 0


def is_rejection(response: Any) -> bool:
    if 400 <= response.status_code < 500:
        return True
    envelope = envelope_or_not_json(response)
    return isinstance(envelope, dict) and "code" in envelope and envelope["code"] != 0


def describe(response: Any) -> str:
    """How the service answered, in one line (message shortened)."""
    envelope = envelope_or_not_json(response)
    text = f"answered HTTP {response.status_code}"
    if envelope is _NOT_JSON:
        return f"{text} with a body that is not JSON ({len(response.content)} bytes)"
    if not isinstance(envelope, dict):
        return f"{text} with JSON that is not an object: {_short(envelope)}"
    text += f", code {_short(envelope['code']) if 'code' in envelope else '(none)'}"
    if "message" in envelope:
        text += f", message {_short(envelope['message'])}"
    if envelope.get("code") == 0 and isinstance(envelope.get("result"), dict):
        text += f", result {_short(envelope['result'])}"
    return text


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a response schema (its oneOf/anyOf, $refs resolved), or the schema itself."""
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            return [resolve(branch) for branch in schema[keyword]]
    return [schema]


def _code_schema(branch: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = branch.get("properties", {}).get("code", {})
    return found


def _accepts_code(branch: dict[str, Any], envelope: dict[str, Any]) -> bool:
    if "code" not in envelope:
        return "code" not in branch.get("required", [])
    return validator_for(_code_schema(branch)).is_valid(envelope["code"])


def _name(schema: dict[str, Any], status: int) -> str:
    return str(schema.get("title") or f"the HTTP {status} answer")


def envelope_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every answer with a documented JSON status carries the schema the spec gives that status. When
    the schema has alternatives (success or error envelope), the one is chosen by `code`, so a drift
    is named by its field (`result.task_id`), not as "matches no oneOf"."""
    schema = response_schema(response.status_code)
    if schema is None:
        return None  # status_code_conformance names undocumented statuses
    status = response.status_code
    envelope = envelope_or_not_json(response)
    if envelope is _NOT_JSON or not isinstance(envelope, dict):
        raise ContractDrift(
            title="Answer is not the JSON envelope",
            field="body",
            spec_says=f"HTTP {status} carries a JSON object ({_name(schema, status)})",
            service_did=describe(response),
        )
    branches = _branches(schema)
    matching = [branch for branch in branches if _accepts_code(branch, envelope)]
    if not matching:
        allowed = "; ".join(f"{_name(b, status)}: {json.dumps(_code_schema(b))}" for b in branches)
        raise ContractDrift(
            title="Envelope `code` missing or of a kind the spec does not allow",
            field="code",
            spec_says=f"with HTTP {status}, `code` is as in {allowed}",
            service_did=f"sent code {_short(envelope['code']) if 'code' in envelope else '(missing)'}; "
            + describe(response),
        )
    target = matching[0] if len(matching) == 1 else schema
    error = jsonschema.exceptions.best_match(validator_for(target).iter_errors(envelope))
    if error is not None:
        field, said = _explain(error)
        raise ContractDrift(
            title=f"The HTTP {status} answer does not match the spec",
            field=field,
            spec_says=f"{_name(target, status)}: {said}",
            service_did=_what_was_sent(error, envelope),
        )
    return True


def endpoint_not_moved(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 3xx moves the endpoint: the spec documents none, and the guard never follows it (a client
    built from the spec would fail every call), so it is drift, named with where it points."""
    if not 300 <= response.status_code < 400:
        return None
    documented = ", ".join(map(str, sorted(DOCUMENTED_STATUSES)))
    raise ContractDrift(
        title="The endpoint moved",
        field="Location",
        spec_says=f"the operation answers at {submit().path} with {documented}; no redirect is documented",
        service_did=f"answered HTTP {response.status_code} with Location: {header(response, 'Location')} "
        "(not followed)",
    )


TCHAR = r"[!#$%&'*+.^_`|~0-9A-Za-z-]"  # RFC 9110 tchar, what a scheme name is made of
# An auth-scheme name in a WWW-Authenticate value: a token at the start or after a comma, not a param name.
CHALLENGE_SCHEME = re.compile(rf"(?:^|,)\s*({TCHAR}+)(?!{TCHAR}|\s*=)")


def documented_schemes() -> dict[str, str]:
    """The HTTP auth schemes the submit's security names, lower-cased, with their scheme names."""
    schemes = spec().get("components", {}).get("securitySchemes", {})
    operation = spec()["paths"][submit().path][submit().method.lower()]
    names = [n for requirement in operation.get("security", spec().get("security", [])) for n in requirement]
    found = {str(resolve(schemes.get(n, {})).get("scheme", "")).lower(): n for n in names}
    found.pop("", None)
    return found


def other_scheme_asked(response: Any) -> str | None:
    """The WWW-Authenticate challenge of a 401 that asks for a scheme, none of them the spec's; else None."""
    challenge = header(response, "WWW-Authenticate")
    if response.status_code != 401 or challenge == "(none)":
        return None
    documented = documented_schemes()
    offered = [s.lower() for s in CHALLENGE_SCHEME.findall(challenge)]
    if not documented or not offered or any(s in documented for s in offered):
        return None
    return challenge


def auth_scheme_kept(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 401 that challenges for a scheme, and not for the one the spec documents (bearer), means the
    service changed how it takes credentials: drift, not "the token is refused"."""
    challenge = other_scheme_asked(response)
    if challenge is None:
        return None
    shown = challenge if len(challenge) <= 80 else challenge[:79] + "…"
    raise ContractDrift(
        title="The authentication scheme changed",
        field="Authorization",
        spec_says=auth.spec_says(),
        service_did=f"answered HTTP 401 challenging with WWW-Authenticate: {shown}",
    )


@dataclass(frozen=True)
class LiveChecks:
    """The checks that depend on the run: which Authorization header is the account's (by digest,
    so the checks never hold the token). Build one per run; pass `.all()` to `validate_response`."""

    valid_authorization_digest: str

    def expectation_of(self, response: Any) -> Expectation:
        request = response.request
        return expectation_for(request.body, dict(request.headers), self.valid_authorization_digest)

    def all(self) -> list[Check]:
        return [
            envelope_conformance,
            endpoint_not_moved,
            auth_scheme_kept,
            self.accepted_when_valid,
            self.rejected_when_invalid,
            self.auth_enforced,
        ]

    def accepted_when_valid(self, ctx: Any, response: Any, case: Any) -> bool | None:
        """A request the spec calls valid, with the account's token and a real image, is accepted."""
        expected = self.expectation_of(response)
        status = response.status_code
        if expected.intent is not Intent.ACCEPT or status == 429 or status >= 500 or 300 <= status < 400:
            return None  # the transient rule and endpoint_not_moved speak for these
        if is_acceptance(response):
            return True
        envelope = envelope_or_not_json(response)
        message = envelope.get("message", "") if isinstance(envelope, dict) else ""
        sent = _sent_object(response.request.body)
        headers = {k.lower() for k in response.request.headers}
        # What the refusal names: a field or header sent, or a documented one left out (now required?).
        documented = [name for name in request_schema().get("properties", {}) if name not in sent]
        candidates = [
            *sent,
            *(p["name"] for p in header_parameters() if p["name"].lower() in headers),
            *documented,
            *(p["name"] for p in header_parameters() if p["name"].lower() not in headers),
        ]
        named = [name for name in candidates if isinstance(message, str) and name in message]
        raise ContractDrift(
            title="Valid request rejected",
            field=", ".join(named) or "request body",
            spec_says=f"a request with the token and a body valid per {request_schema_name()} is accepted "
            f"(2xx, code 0); sent {', '.join(f'{k}={_short(v, 40)}' for k, v in sent.items())}"
            + "".join(
                f", {n}: {_short(response.request.headers[n], 40)}"
                if n in response.request.headers
                else f", {n} not sent (documented as optional)"
                for n in named
                if n not in sent
            ),
            service_did=describe(response),
        )

    def rejected_when_invalid(self, ctx: Any, response: Any, case: Any) -> bool | None:
        """A body that breaks a rule the documentation states as hard is rejected (4xx or code != 0)."""
        expected = self.expectation_of(response)
        if expected.intent is not Intent.REJECT or "Authorization" in expected.fields:
            return None
        return _must_be_rejected(response, expected, title="Invalid request accepted")

    def auth_enforced(self, ctx: Any, response: Any, case: Any) -> bool | None:
        """A request without the token, or with another one, is rejected (4xx or code != 0), whatever
        the status: the envelope-aware form of schemathesis' `ignored_auth`."""
        expected = self.expectation_of(response)
        if expected.intent is not Intent.REJECT or "Authorization" not in expected.fields:
            return None
        return _must_be_rejected(response, expected, title="Authentication ignored")


def _sent_object(body: Any) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _must_be_rejected(response: Any, expected: Expectation, *, title: str) -> bool | None:
    if response.status_code == 429 or response.status_code >= 500:
        return None  # not_a_server_error and the transient rule speak for these
    if 300 <= response.status_code < 400:
        return None  # endpoint_not_moved speaks for it: a redirect is not a verdict on the request
    if is_rejection(response):
        return True
    raise ContractDrift(
        title=title,
        field=", ".join(expected.fields),
        spec_says="rejected (4xx, or code != 0): " + "; ".join(expected.reasons),
        service_did=describe(response),
    )


def _explain(error: jsonschema.ValidationError) -> tuple[str, str]:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [n for n in required_names(error) if n not in error.instance]
        name = missing[0] if missing else "?"
        field = f"{path}.{name}" if path else str(name)
        return field, f"`{field}` is required"
    field = path or "body"
    if error.validator == "type":
        return field, f"`{field}` is of type {error.validator_value}"
    return field, f"`{field}`: {error.message}"


def _what_was_sent(error: jsonschema.ValidationError, envelope: dict[str, Any]) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        keys = ", ".join(sorted(map(str, error.instance))) or "nothing"
        return f"omitted it (the object has: {keys})"
    return f"sent {_short(error.instance)} ({type(error.instance).__name__})"
