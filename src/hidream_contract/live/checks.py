"""Envelope-aware checks, registered with schemathesis (`@schemathesis.check`).

Schemathesis' own `positive_data_acceptance`, `negative_data_rejection` and `ignored_auth` read
only the HTTP status. This service rejects with HTTP 200 and a non-zero `code` as often as with a
4xx, so these checks read the envelope: a rejection is a 4xx or a non-zero `code`; an acceptance is
a 2xx with `code` 0 and a conforming `result`. What a request must get is worked out from the request
as sent (requests_model.expectation_for), so the same checks serve explicit probes and fuzzed cases.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import schemathesis
from schemathesis.core.failures import Failure

from hidream_contract.live.requests_model import (
    Expectation,
    Intent,
    component_validator,
    expectation_for,
    required_names,
)
from hidream_contract.spec import submit

OPERATION = submit().label
ENVELOPE_STATUSES = submit().json_statuses  # the statuses the spec gives a JSON body (the envelope)


class _Context:
    """Set by the runner before the first request: the digest of the valid Authorization header."""

    valid_authorization_digest = ""


CONTEXT = _Context()


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


def expectation_of(response: Any) -> Expectation:
    request = response.request
    body = request.body
    return expectation_for(body, dict(request.headers), CONTEXT.valid_authorization_digest)


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


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


@schemathesis.check
def envelope_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every answer with a documented status carries the envelope the spec gives it: code 0 ->
    SubmitUpscaleTaskOutcome (whose if/then asks `code` 0 for `request_id` and a `result` with
    `task_id` and `sub_task_ids`), any other code -> ErrorEnvelope. The branch is
    chosen by `code`, so a drift is named by its field (`result.task_id`), not as "matches no oneOf"."""
    if response.status_code not in ENVELOPE_STATUSES:
        return None  # status_code_conformance names undocumented statuses
    envelope = envelope_or_not_json(response)
    if envelope is _NOT_JSON or not isinstance(envelope, dict):
        raise ContractDrift(
            title="Answer is not the JSON envelope",
            field="body",
            spec_says="every answer is a JSON object {code, message, request_id, result}",
            service_did=describe(response),
        )
    code = envelope.get("code")
    if "code" not in envelope or not is_int(code):
        raise ContractDrift(
            title="Envelope `code` missing or not an integer",
            field="code",
            spec_says="`code` is an integer: 0 when the task is accepted, non-zero when it is rejected",
            service_did=f"sent code {_short(code) if 'code' in envelope else '(missing)'}; "
            + describe(response),
        )
    success = code == 0
    if success and response.status_code != 200:
        raise ContractDrift(
            title="Acceptance with a rejection status",
            field="code",
            spec_says=f"HTTP {response.status_code} carries ErrorEnvelope (code non-zero)",
            service_did=describe(response),
        )
    name = "SubmitUpscaleTaskOutcome" if success else "ErrorEnvelope"
    error = jsonschema.exceptions.best_match(component_validator(name).iter_errors(envelope))
    if error is not None:
        field, said = _explain(error)
        raise ContractDrift(
            title=f"{'Success' if success else 'Error'} envelope does not match the spec",
            field=field,
            spec_says=f"{name}: {said}",
            service_did=_what_was_sent(error, envelope),
        )
    return True


@schemathesis.check
def accepted_when_valid(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request the spec calls valid, with the account's token and a real image, is accepted."""
    expected = expectation_of(response)
    if expected.intent is not Intent.ACCEPT or response.status_code == 429 or response.status_code >= 500:
        return None
    if is_acceptance(response):
        return True
    envelope = envelope_or_not_json(response)
    message = envelope.get("message", "") if isinstance(envelope, dict) else ""
    sent = json.loads(response.request.body or b"{}")
    named = [name for name in sent if isinstance(message, str) and name in message]
    raise ContractDrift(
        title="Valid request rejected",
        field=", ".join(named) or "request body",
        spec_says="a request with the token and a body valid per UpscaleRequest is accepted (2xx, code 0); "
        f"sent {', '.join(f'{k}={_short(v, 40)}' for k, v in sent.items())}",
        service_did=describe(response),
    )


@schemathesis.check
def rejected_when_invalid(ctx: Any, response: Any, case: Any) -> bool | None:
    """A body that breaks a rule the documentation states as hard is rejected (4xx or code != 0)."""
    expected = expectation_of(response)
    if expected.intent is not Intent.REJECT or "Authorization" in expected.fields:
        return None
    return _must_be_rejected(response, expected, title="Invalid request accepted")


@schemathesis.check
def auth_enforced(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request without the token, or with another one, is rejected (4xx or code != 0), whatever the
    status: the envelope-aware form of schemathesis' `ignored_auth`."""
    expected = expectation_of(response)
    if expected.intent is not Intent.REJECT or "Authorization" not in expected.fields:
        return None
    return _must_be_rejected(response, expected, title="Authentication ignored")


def _must_be_rejected(response: Any, expected: Expectation, *, title: str) -> bool | None:
    if response.status_code == 429 or response.status_code >= 500:
        return None  # not_a_server_error and the transient rule speak for these
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
