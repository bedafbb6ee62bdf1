"""A valid value for a documented body field or header, read from its schema in the spec (issue 27).

The live check sends every documented optional field and header on one paid probe, so it needs a value
the spec calls valid for each, also for a field the spec gives no example. In order: the schema's
`examples` (or `example`), its `const`, its first `enum` value; a field that a callback of the
operation names as its URL (`{$request.body#/notify_url}`) gets a URL on a host reserved for
documentation (RFC 2606: reachable and harmless, nothing listens); anything else a value built from
its type and constraints (a string unique to the run, as an id may be deduplicated; the smallest
number the bounds allow...). Every candidate is validated against the schema itself; when none is
valid, `NoValidValue` says so and the field is reported as not exercised — never a crash, never a
guess sent as if it were valid. Nothing here names a field of the spec.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from typing import Any

from hidream_contract.live.requests_model import validator_for
from hidream_contract.spec import resolve, submit

CHECK_ID = "hidream-contract-check"  # what the check sends where any string will do
RUN_ID = f"{CHECK_ID}-{uuid.uuid4()}"  # fresh per run (per process): a service may deduplicate by an id
DOC_URL = "https://example.com/hidream-contract-check"  # a host reserved for documentation (RFC 2606)
# What a string of a well-known `format` looks like: generic JSON Schema knowledge, not a spec fact.
FORMAT_VALUES = {
    "uri": DOC_URL,
    "url": DOC_URL,
    "uri-reference": DOC_URL,
    "iri": DOC_URL,
    "email": "contract-check@example.com",
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",  # TEST-NET-1, reserved for documentation
    "ipv6": "2001:db8::1",  # reserved for documentation
}
CALLBACK_EXPRESSION = re.compile(r"\{\$request\.body#/([^}/]+)\}")


class NoValidValue(Exception):
    """The check found no value its schema calls valid; the field is reported as not exercised."""


@cache
def callback_url_fields() -> frozenset[str]:
    """The body fields a callback of the submit takes its URL from (`{$request.body#/name}`)."""
    callbacks = submit().definition.get("callbacks", {})
    names = set()
    for callback in callbacks.values():
        for expression in resolve(callback):
            names |= {
                name.replace("~1", "/").replace("~0", "~") for name in CALLBACK_EXPRESSION.findall(expression)
            }
    return frozenset(names)


def valid_value(schema: dict[str, Any], *, name: str, prefer_non_default: bool = False) -> Any:
    """A value `schema` calls valid (see the module's docstring for the order); `name` for messages
    and the callback rule. `prefer_non_default`: an enum's first value that is not the default."""
    schema = resolve(schema)
    candidates: list[Any] = []
    if schema.get("examples"):
        candidates.append(schema["examples"][0])
    if "example" in schema:
        candidates.append(schema["example"])
    if "const" in schema:
        candidates.append(schema["const"])
    if schema.get("enum"):
        values = list(schema["enum"])
        if prefer_non_default:
            values = [v for v in values if v != schema.get("default")] or values
        candidates.append(values[0])
    if name in callback_url_fields():
        candidates.append(DOC_URL)
    candidates += _from_type(schema)
    validator = validator_for(schema)
    for candidate in candidates:
        if validator.is_valid(candidate):
            return candidate
    shown = json.dumps(schema, ensure_ascii=False, default=str)
    raise NoValidValue(
        f"no value the schema of `{name}` calls valid could be built from it "
        f"({shown[:120] + '…' if len(shown) > 120 else shown}): give it `examples` in the spec"
    )


def _from_type(schema: dict[str, Any]) -> list[Any]:
    for keyword in ("allOf", "anyOf", "oneOf"):
        if schema.get(keyword):
            merged = {k: v for k, v in schema.items() if k != keyword}
            return [v for branch in schema[keyword] for v in _from_type({**merged, **resolve(branch)})]
    kinds = schema.get("type", "string")
    kinds = [kinds] if isinstance(kinds, str) else [k for k in kinds if k != "null"] or ["null"]
    found: list[Any] = []
    for kind in kinds:
        if kind == "string":
            found += _strings(schema)
        elif kind in ("integer", "number"):
            found.append(_number(schema, integer=kind == "integer"))
        elif kind == "boolean":
            found += [True, False]
        elif kind == "null":
            found.append(None)
        elif kind == "array":
            items = resolve(schema.get("items", {}))
            count = int(schema.get("minItems", 0))
            found.append([_first(items)] * count if count else [])
        elif kind == "object":
            properties = schema.get("properties", {})
            found.append(
                {key: _first(resolve(properties.get(key, {}))) for key in schema.get("required", [])}
            )
    return found


def _first(schema: dict[str, Any]) -> Any:
    for source in (
        schema.get("examples") or [],
        [schema["const"]] if "const" in schema else [],
        schema.get("enum") or [],
    ):
        if source:
            return source[0]
    options = _from_type(schema)
    return options[0] if options else None


def _strings(schema: dict[str, Any]) -> list[str]:
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    found = [FORMAT_VALUES[schema["format"]]] if schema.get("format") in FORMAT_VALUES else []
    if schema.get("format") == "uuid":
        found.append(str(uuid.uuid4()))
    for text in (RUN_ID, CHECK_ID, "x"):
        text = text.ljust(low, "x")
        found.append(text[: int(high)] if high is not None else text)
    return found


def _number(schema: dict[str, Any], *, integer: bool) -> float | int:
    step = schema.get("multipleOf", 1 if integer else None)
    low = schema.get("minimum")
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        low = schema["exclusiveMinimum"] + 1
    high = schema.get("maximum")
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        high = schema["exclusiveMaximum"] - 1
    value = low if low is not None else (min(high, 1) if high is not None else 1)
    if step:
        value = -(-value // step) * step  # the first multiple at or above it
    return int(value) if integer else value
