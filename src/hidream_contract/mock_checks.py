"""Narrow stand-ins for the schemathesis checks Prism cannot pass (see schemathesis.toml).

Each keeps the part of the original check that Prism does honour, so the mock run still fails
if the spec stops declaring security, starts declaring other methods, or its responses change.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from schemathesis.specs.openapi.checks import negative_data_rejection, response_schema_conformance

from hidream_contract.doc_policy import only_silent_parts_invalid

AUTH_REJECTION_STATUSES = frozenset({401, 403})
# OPTIONS is answered by Prism's CORS handling, as most gateways do; schemathesis skips it too.
UNCHECKED_METHODS = frozenset({"OPTIONS"})
PROBE_TIMEOUT_S = 10.0

_credentials_probed: set[str] = set()


def mock_requires_credentials(ctx: Any, response: Any, case: Any) -> bool | None:
    """Replaces `ignored_auth` on the mock: the request that was accepted, sent again without
    its Authorization header, must be refused with 401/403 (checked once per operation)."""
    if not 200 <= response.status_code < 300 or case.operation.label in _credentials_probed:
        return None
    _credentials_probed.add(case.operation.label)
    sent = response.request
    headers = {k: v for k, v in sent.headers.items() if k.lower() != "authorization"}
    probe = requests.request(sent.method, sent.url, data=sent.body, headers=headers, timeout=PROBE_TIMEOUT_S)
    if probe.status_code not in AUTH_REJECTION_STATUSES:
        raise AssertionError(
            f"{case.operation.label} declares bearer auth, yet the same request without credentials "
            f"got {probe.status_code} (expected 401 or 403)"
        )
    return True


def mock_undeclared_method_is_405(ctx: Any, response: Any, case: Any) -> bool | None:
    """Replaces `unsupported_method` on the mock: a method the spec does not declare gets 405.
    Prism sends no `Allow` header with it, so that half of the original check is not asked for."""
    method = str(response.request.method).upper()
    if method == case.operation.method.upper() or method in UNCHECKED_METHODS:
        return None
    if response.status_code != 405:
        raise AssertionError(
            f"Undeclared method {method} on {case.operation.path} got {response.status_code}, expected 405"
        )
    return True


# What Prism answers, whatever the spec says, when the body is not JSON at all.
PRISM_INVALID_JSON_BODY = {"error": {"code": "invalid_json", "message": "Invalid JSON"}}


def _is_json(raw: bytes | str | None) -> bool:
    if raw is None:
        return False
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def mock_response_schema_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Replaces `response_schema_conformance` on the mock for one answer only: Prism's own
    `invalid_json` document, sent with 400 when the request body cannot be parsed as JSON. Every
    other answer goes through the original check unchanged."""
    if (
        response.status_code == 400
        and not _is_json(response.request.body)
        and _is_json(response.content)
        and json.loads(response.content) == PRISM_INVALID_JSON_BODY
    ):
        return None
    result: bool | None = response_schema_conformance(ctx, response, case)
    return result


def documented_negative_data_rejection(ctx: Any, response: Any, case: Any) -> bool | None:
    """`negative_data_rejection`, except where the documentation promises no rejection
    (src/hidream_contract/doc_policy.py): Prism, for one, accepts an empty `X-accept-language`."""
    if only_silent_parts_invalid(case):
        return None
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


MOCK_EXCLUDED_CHECKS = [response_schema_conformance, negative_data_rejection]
MOCK_CHECKS = [
    mock_response_schema_conformance,
    documented_negative_data_rejection,
    mock_requires_credentials,
    mock_undeclared_method_is_405,
]
