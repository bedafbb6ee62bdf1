"""What a request *is*, read from the bytes about to be sent: what the documentation says the service
must do with it, and whether it names a real image; plus the spec's request and response schemas,
found through the operation (never by component name).

The expectation comes from the request as sent, not from how it was generated, so it holds for the
explicit probes, for schemathesis' negative cases and for anything a check might send. Whether a
request may be sent at all is not decided here: the guard counts possible tasks for every request.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema

from hidream_contract.doc_policy import SILENT_HEADERS
from hidream_contract.live.guard import authorization_digest
from hidream_contract.spec import load, resolve, submit

# Signatures of the image formats a service could decode (wider than the spec's PNG example on purpose:
# when in doubt, a request counts as billable).
IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)
# Body fields whose violations the documentation states as hard rejections (besides a missing token).
HARD_FIELDS = frozenset({"image", "upsale_ratio", "version"})


class Intent(enum.Enum):
    ACCEPT = "must be accepted"  # valid per the spec, with the token
    REJECT = "must be rejected"  # breaks a rule the documentation states as hard
    SILENT = "documentation silent"  # only breaks what the documentation says nothing about
    UNDETERMINED = "not promised"  # breaks only rules the documentation does not state as hard


@dataclass(frozen=True)
class Expectation:
    intent: Intent
    reasons: tuple[str, ...]  # the hard (or silent) violations, e.g. "upsale_ratio: 3 is not one of [2, 4]"
    fields: tuple[str, ...]  # the fields named by the reasons, e.g. ("upsale_ratio",)


def names_real_image(body: bytes | str | None) -> bool:
    """True when the body is JSON naming an image a service could fetch or decode. Negative probes
    carry one, so a service that has started to accept what it must reject cannot hide behind "no
    image to fetch" (probes.py)."""
    data = _json_object(body)
    if data is None:
        return False
    image = data.get("image")
    if not isinstance(image, str) or not image:
        return False
    lowered = image.strip().lower()
    if lowered.startswith(("http://", "https://", "data:")):
        return True
    try:
        decoded = base64.b64decode(image.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return decoded.startswith(IMAGE_SIGNATURES) or (decoded[:4] == b"RIFF" and decoded[8:12] == b"WEBP")


def cannot_be_task(body: bytes | str | None) -> bool:
    """True when no service could make a task of this body: it names no image a service could fetch
    or decode, and it breaks a rule the documentation states as hard (no `image`, a bad ratio...). The
    guard sends the token in another form than the documented one only with such a body."""
    if names_real_image(body):
        return False
    data = _json_object(body)
    if data is None:
        return body is not None and _json_object(_without_trailing_commas(body)) is None
    return any(_field_of(error) in HARD_FIELDS for error in _request_validator().iter_errors(data))


def expectation_for(
    body: bytes | str | None, headers: dict[str, str], valid_authorization_digest: str
) -> Expectation:
    """What the documentation says the service must do with this request."""
    lowered = {k.lower(): v for k, v in headers.items()}
    auth = lowered.get("authorization")
    if auth is None:
        return Expectation(Intent.REJECT, ("Authorization: missing",), ("Authorization",))
    if authorization_digest(auth) != valid_authorization_digest:
        return Expectation(Intent.REJECT, ("Authorization: not the account's token",), ("Authorization",))
    data = _json_object(body)
    if data is None and _json_object(_without_trailing_commas(body)) is not None:
        # The provider's own curl sample: its page shows it working, the spec says the body is JSON.
        return Expectation(
            Intent.SILENT,
            ("body: not strict JSON (a trailing comma, as in the provider's curl sample)",),
            ("body",),
        )
    if data is None:
        return Expectation(Intent.REJECT, ("body: not a JSON object (no image)",), ("body",))
    hard: list[tuple[str, str]] = []
    soft: list[tuple[str, str]] = []
    for error in _request_validator().iter_errors(data):
        field = _field_of(error)
        target = hard if field in HARD_FIELDS else soft
        target.append((field, f"{field}: {error.message}"))
    if hard:
        return Expectation(Intent.REJECT, tuple(r for _, r in hard), tuple(dict.fromkeys(f for f, _ in hard)))
    silent = [(name, f"{name}: {value!r} is not documented") for name, value in _silent_headers(lowered)]
    silent += [
        (name, f"body field {name!r} is not documented") for name in sorted(set(data) - _declared_fields())
    ]
    if soft:
        return Expectation(Intent.UNDETERMINED, tuple(r for _, r in soft), tuple(f for f, _ in soft))
    if silent:
        return Expectation(Intent.SILENT, tuple(r for _, r in silent), tuple(f for f, _ in silent))
    return Expectation(Intent.ACCEPT, (), ())


def _json_object(body: bytes | str | None) -> dict[str, Any] | None:
    if body is None:
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _without_trailing_commas(body: bytes | str | None) -> str | None:
    if body is None:
        return None
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        return None
    return re.sub(r",(\s*[}\]])", r"\1", text)


def _field_of(error: jsonschema.ValidationError) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in required_names(error) if name not in error.instance]
        return str(missing[0]) if missing else "body"
    return str(error.absolute_path[0]) if error.absolute_path else "body"


def required_names(error: jsonschema.ValidationError) -> list[str]:
    """The names a `required` keyword lists (typed loosely by jsonschema)."""
    value: Any = error.validator_value
    return [str(name) for name in value] if isinstance(value, list) else []


def _silent_headers(headers: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for name, schema in _header_schemas().items():
        silent = name in SILENT_HEADERS and name in headers
        if silent and not jsonschema.Draft202012Validator(schema).is_valid(headers[name]):
            found.append((name, headers[name]))
    return found


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = load()
    return loaded


def _operation() -> dict[str, Any]:
    op = submit()
    found: dict[str, Any] = spec()["paths"][op.path][op.method.lower()]
    return found


def validator_for(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator for a schema of the spec (inline or a `$ref`), its `$ref`s resolved within the spec."""
    return jsonschema.Draft202012Validator({**schema, "components": spec()["components"]})


@cache
def request_schema() -> dict[str, Any]:
    """The operation's JSON request-body schema, resolved: whatever the spec names it."""
    body = resolve(_operation()["requestBody"])
    found: dict[str, Any] = resolve(body["content"]["application/json"]["schema"])
    return found


def request_schema_name() -> str:
    """How reports name the request schema: its `title` in the spec."""
    return str(request_schema().get("title", "the request body schema"))


def response_schema(status: int) -> dict[str, Any] | None:
    """The JSON body schema the spec gives an answer with this status (resolved), or None."""
    response = _operation()["responses"].get(str(status))
    if response is None:
        return None
    media = resolve(response).get("content", {}).get("application/json")
    if media is None or "schema" not in media:
        return None
    found: dict[str, Any] = resolve(media["schema"])
    return found


@cache
def _request_validator() -> jsonschema.Draft202012Validator:
    return validator_for(request_schema())


@cache
def _declared_fields() -> frozenset[str]:
    return frozenset(request_schema().get("properties", {}))


@cache
def header_parameters() -> tuple[dict[str, Any], ...]:
    """The operation's header parameters, resolved (name, required, schema...)."""
    return submit().header_parameters()


@cache
def _header_schemas() -> dict[str, dict[str, Any]]:
    return {p["name"].lower(): p["schema"] for p in header_parameters()}
