"""The explicit requests of a live run, in the order they are worth running, and which of them are asked.

Three kinds, by what a faithful service does with them:
- negative: the documentation says it must be rejected, so on a faithful service it creates no task.
  Each carries a real image (the provider's sample URL) unless the rule is about `image` itself, so a
  service that has started to accept it is caught (it cannot hide behind "no image to fetch").
- paid: valid, so a faithful service creates one task each, shaped like what real clients send: the
  provider's page's Python sample exactly as written (its headers, `API-User-ID: ''` included), a
  request with the required fields only (a service that starts to require a documented-optional
  field refuses it), and one that sets every documented optional field and header.
- silent: the documentation does not say: a faithful service may accept them. The page's curl sample
  as written (its body ends with a trailing comma: not strict JSON) runs by default, after the paid
  probes, on the spare task of the default budget; the others (unknown body field, unsupported
  X-accept-language) only with HIDREAM_LIVE_PROBES=all.

The free negative probes about auth carry every documented optional header, so a service that lets a
request without a token through when `API-User-ID` is present is caught.

Every value comes from the spec (issue 27): the examples, and for a documented field or header without
one a value its schema calls valid (values.py). Every allowed value of a body enum is sent on a paid
probe: the three above carry what they carry, and each value none of them does gets a probe of its own
(the required fields with that value), so a value the spec adds is exercised, at one task each. Every
operation of the spec is counted: an operation of the submit's shape (the same request body and
headers at another path) gets the provider's Python sample (paid) and the empty body (free); one of
another shape is reported as not exercised.

Requests meant to be accepted use only the spec's own example images, never generated text: the live
service fetches or decodes `image`. Whether a request may be sent is decided by the guard alone
(guard.py); this module only orders what is asked.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hidream_contract.live.guard import CouldNotRun
from hidream_contract.live.requests_model import header_parameters, names_real_image, request_schema
from hidream_contract.live.samples import curl_sample, python_sample
from hidream_contract.live.values import NoValidValue, valid_value
from hidream_contract.spec import Operation, operations, request_examples, resolve, result_read, submit

SUBMIT_PATH = submit().path

INVALID_TOKEN = "contract-check-invalid-token"  # not a secret: a token no account has
SPARE_TASKS = 1  # in the default budget, for one retry of a request whose answer was lost


class Kind(enum.Enum):
    NEGATIVE = "must be rejected: no task on a faithful service"
    PAID = "must be accepted: one task each on a faithful service"
    SILENT = "documentation silent: a faithful service may accept it (a task)"


class TokenEvidence(enum.Enum):
    """What a probe's answer says about the run's own token: whether the check can run at all."""

    ANONYMOUS = "the sample without a token: how this service refuses"
    TOKEN_ONLY = "an empty body with the token: a 401/403 here can only mean the token is refused"
    VALID_REQUEST = "the provider's own request (its page's Python sample) with the token"


@dataclass(frozen=True)
class Probe:
    name: str  # for people (reports); behaviour hangs on the typed fields below
    purpose: str
    body: Any
    kind: Kind
    auth: str = "token"  # "token" | "none" | "invalid"
    headers: dict[str, str] = field(default_factory=dict)
    token_evidence: TokenEvidence | None = None
    raw: str | None = None  # sent verbatim instead of `body` as JSON (a sample that is not strict JSON)
    path: str = SUBMIT_PATH  # the operation it is sent to (POST): the submit, or one of its shape

    @property
    def names_real_image(self) -> bool:
        return names_real_image(json.dumps(self.body))


@cache
def examples() -> dict[str, dict[str, Any]]:
    """The spec's request examples, by name (imageUrl: the provider's sample; imageBase64)."""
    return {name: dict(value) for name, value in request_examples().items()}


def sample() -> dict[str, Any]:
    """The provider's own request, exactly as documented."""
    return dict(examples()["imageUrl"])


def _sample_with(**changes: Any) -> dict[str, Any]:
    body = {**sample(), **changes}
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def _properties() -> dict[str, Any]:
    found: dict[str, Any] = request_schema().get("properties", {})
    return found


def optional_fields() -> list[str]:
    """The documented body fields a request may leave out."""
    required = set(request_schema().get("required", []))
    return [name for name in _properties() if name not in required]


def _values(names: list[str]) -> dict[str, Any]:
    """A valid value (values.py) for each named body field; one without any is left out (and so
    reported as not exercised)."""
    found = {}
    for name in names:
        try:
            found[name] = valid_value(_properties()[name], name=name)
        except NoValidValue:
            continue
    return found


def unvalued() -> dict[str, str]:
    """The documented body fields and headers the check found no valid value for, and why."""
    why = {}
    for name, schema in _properties().items():
        try:
            valid_value(schema, name=name)
        except NoValidValue as exc:
            why[f"`{name}`"] = str(exc)
    for param in header_parameters():
        try:
            valid_value(param.get("schema", {}), name=param["name"])
        except NoValidValue as exc:
            why[f"`{param['name']}`"] = str(exc)
    return why


def _header_value(param: dict[str, Any]) -> str | None:
    """A valid value for a header: the first allowed value that is not the default (sending the
    default says little), else one its schema calls valid; None when there is none."""
    try:
        return str(valid_value(param.get("schema", {}), name=param["name"], prefer_non_default=True))
    except NoValidValue:
        return None


def optional_headers() -> dict[str, str]:
    """Every documented optional header, with the value the full-surface probe sends."""
    found = {p["name"]: _header_value(p) for p in header_parameters() if not p.get("required")}
    return {name: value for name, value in found.items() if value is not None}


def _other_header_values() -> list[tuple[str, str]]:
    """Allowed header values the full-surface probe does not send: negative probes carry them, so
    each documented value is exercised."""
    sent = optional_headers()
    return [
        (p["name"], str(value))
        for p in header_parameters()
        for value in p.get("schema", {}).get("enum", [])
        if sent.get(p["name"]) != str(value)
    ]


def _forbidden(allowed: list[Any]) -> Any:
    """A value of the same type as the allowed ones that is not allowed: the next integer (3 for
    [2, 4]), the next version-like string ("v2" for ["v1"])."""
    first = allowed[0]
    if isinstance(first, int) and not isinstance(first, bool):
        return next(n for n in range(min(allowed) + 1, min(allowed) + 1000) if n not in allowed)
    text = str(first)
    stem = text.rstrip("0123456789")
    start = int(text[len(stem) :] or 0) + 1
    return next(f"{stem}{n}" for n in range(start, start + 1000) if f"{stem}{n}" not in allowed)


def negative_probes() -> list[Probe]:
    """Requests the documentation says must be rejected, most valuable first: auth, then the body
    (every required field missing in turn, then every enum field with a value it does not allow)."""
    required = [name for name in request_schema().get("required", []) if name in sample()]
    probes = [
        Probe(
            "no token",
            "the provider's sample without credentials, every optional header present, is rejected",
            sample(),
            Kind.NEGATIVE,
            auth="none",
            headers=optional_headers(),
            token_evidence=TokenEvidence.ANONYMOUS,
        ),
        Probe(
            "invalid token",
            "the provider's sample with another token, every optional header present, is rejected",
            sample(),
            Kind.NEGATIVE,
            auth="invalid",
            headers=optional_headers(),
        ),
        Probe(
            "empty body",
            "a body without the required fields is rejected",
            {},
            Kind.NEGATIVE,
            token_evidence=TokenEvidence.TOKEN_ONLY,
        ),
        Probe("body not an object", "the body is a JSON object", list(sample().values()), Kind.NEGATIVE),
        Probe("empty image", "`image` is a non-empty string", _sample_with(image=""), Kind.NEGATIVE),
        Probe("image not a string", "`image` is a string", _sample_with(image=123), Kind.NEGATIVE),
    ]
    probes += [
        Probe(f"missing {name}", f"`{name}` is required", _sample_with(**{name: _DROP}), Kind.NEGATIVE)
        for name in required
    ]
    for name, schema in _properties().items():
        if "enum" in schema:
            value = _forbidden(schema["enum"])
            probes.append(
                Probe(
                    f"{name} {value}",
                    f"`{name}` is one of {schema['enum']}",
                    _sample_with(**{name: value}),
                    Kind.NEGATIVE,
                )
            )
    probes += [
        Probe(
            f"empty body at {op.label}",
            "a body without the required fields is rejected",
            {},
            Kind.NEGATIVE,
            path=op.path,
        )
        for op in same_shape_operations()
    ]
    # The allowed header values the full-surface probe leaves out ride on negatives with a real image.
    carriers = [i for i, p in enumerate(probes) if p.auth == "token" and p.names_real_image]
    for index, (name, value) in zip(carriers, _other_header_values(), strict=False):
        probe = probes[index]
        probes[index] = Probe(
            f"{probe.name} ({name}: {value})",
            probe.purpose,
            probe.body,
            probe.kind,
            probe.auth,
            {**probe.headers, name: value},
            probe.token_evidence,
            probe.raw,
            probe.path,
        )
    return probes


def required_only() -> dict[str, Any]:
    """The provider's sample with only the fields the spec requires (one it lacks: a valid value)."""
    required = list(request_schema().get("required", []))
    found = {name: value for name, value in sample().items() if name in required}
    return {**found, **_values([name for name in required if name not in found and name in _properties()])}


def same_shape_operations() -> list[Operation]:
    """The spec's other operations of the submit's shape: POST, the same request body schema and the
    same header parameters (a `.../sync` twin, say). Each is probed as the submit is, in short."""
    found = []
    headers = {p["name"].lower() for p in header_parameters()}
    for op in operations():
        if op.path == SUBMIT_PATH or op.method != "POST" or "requestBody" not in op.definition:
            continue
        content = resolve(op.definition["requestBody"]).get("content", {}).get("application/json", {})
        if "schema" not in content or resolve(content["schema"]) != request_schema():
            continue
        if {p["name"].lower() for p in op.header_parameters()} == headers:
            found.append(op)
    return found


def unprobed_operations() -> list[Operation]:
    """The spec's operations the check has no probe for: not the submit, its result read, or one of
    the submit's shape. Counted, and reported as not exercised."""
    known = {(submit().method, SUBMIT_PATH), (result_read().method, result_read().path)}
    known |= {(op.method, op.path) for op in same_shape_operations()}
    return [op for op in operations() if (op.method, op.path) not in known]


def _carried(probes: list[Probe], name: str, value: Any) -> bool:
    return any(
        isinstance(p.body, dict)
        and name in p.body
        and type(p.body[name]) is type(value)
        and p.body[name] == value
        for p in probes
    )


def paid_probes() -> list[Probe]:
    """Valid requests, most valuable first: each is one task on a faithful service."""
    full = dict(examples()["imageBase64"])
    full.update(_values([name for name in optional_fields() if name not in full]))
    python = python_sample()
    base = _base_paid_probes(dict(python.data), dict(python.headers), full)
    values = [
        Probe(
            f"{name} {value!r} (a documented value)",
            f"the required fields with `{name}` = {value!r}, a value the spec allows, are accepted",
            {**required_only(), name: value},
            Kind.PAID,
        )
        for name, schema in _properties().items()
        for value in resolve(schema).get("enum", [])
        if not _carried(base, name, value)
    ]
    twins = [
        Probe(
            f"provider's Python sample at {op.label}",
            f"the provider's Python sample, sent to {op.label} (the submit's shape), is accepted",
            dict(python.data),
            Kind.PAID,
            headers=dict(python.headers),
            path=op.path,
        )
        for op in same_shape_operations()
    ]
    return [*base, *values, *twins]


def _base_paid_probes(
    python_body: dict[str, Any], python_headers: dict[str, str], full: dict[str, Any]
) -> list[Probe]:
    return [
        Probe(
            "provider's Python sample, as written",
            "the provider's page's Python sample (image URL, ratio 2, v1, API-User-ID '') is accepted",
            python_body,
            Kind.PAID,
            headers=python_headers,
            token_evidence=TokenEvidence.VALID_REQUEST,
        ),
        Probe(
            "required fields only",
            "a request with only the required fields and no optional header is accepted",
            required_only(),
            Kind.PAID,
        ),
        Probe(
            "every optional field and header",
            "a base64 image with ratio 4 and every documented optional field and header is accepted",
            full,
            Kind.PAID,
            headers=optional_headers(),
        ),
    ]


def curl_sample_probe() -> Probe:
    """The page's curl sample exactly as written: its body has a trailing comma. Recorded, never failed;
    a service whose JSON reader tolerates the comma accepts it (a task)."""
    curl = curl_sample()
    return Probe(
        "provider's curl sample, as written",
        "documentation silent (not strict JSON): recorded",
        _lenient(curl.body),
        Kind.SILENT,
        headers=curl.headers,
        raw=curl.body,
    )


def _lenient(text: str) -> Any:
    """What a body means to a reader that tolerates trailing commas (for the coverage table)."""
    try:
        return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
    except ValueError:
        return None


def silent_probes() -> list[Probe]:
    """Where the documentation is silent: recorded, never failed; a faithful service may accept them."""
    return [
        Probe(
            "unknown body field",
            "documentation silent: recorded",
            _sample_with(x_undocumented_field=True),
            Kind.SILENT,
        ),
        Probe(
            "unsupported X-accept-language",
            "documentation silent: recorded",
            sample(),
            Kind.SILENT,
            headers={"X-accept-language": "fr"},
        ),
    ]


def default_budget() -> int:
    """What full coverage needs on a faithful service (one task per paid probe), plus one spare so
    a lost answer or a gateway error on a paid probe can be retried (or, when nothing was lost, the
    page's curl sample is accepted by a service that tolerates its trailing comma)."""
    return len(paid_probes()) + SPARE_TASKS


def budget_for_all() -> int:
    """What HIDREAM_LIVE_PROBES=all needs on a faithful service: every paid and every silent probe."""
    return len(paid_probes()) + 1 + len(silent_probes())  # 1: the page's curl sample


@dataclass(frozen=True)
class Plan:
    negative: list[Probe]
    paid: list[Probe]
    silent: list[Probe]
    not_asked: list[Probe]  # left out by HIDREAM_LIVE_PROBES, not by the budget

    @property
    def needs_sample(self) -> bool:
        """Whether the verdict needs the provider's sample answered (all but `free`)."""
        return any(p.token_evidence is TokenEvidence.VALID_REQUEST for p in self.paid)


def plan(probe_set: str, budget: int) -> Plan:
    """What is asked. `auto`: negatives, then the paid probes, then the page's curl sample; `all`: also
    the other silent ones, and refuses
    to start below the budget they need on a faithful service; `free`: the negatives only."""
    negative, paid, silent = negative_probes(), paid_probes(), [curl_sample_probe(), *silent_probes()]
    if probe_set == "free":
        return Plan(negative, [], [], paid + silent)
    if probe_set == "auto":
        return Plan(negative, paid, silent[:1], silent[1:])
    needed = budget_for_all()
    if budget < needed:
        raise CouldNotRun(
            f"the budget is too small for the checks asked: HIDREAM_LIVE_PROBES=all creates {needed} "
            f"tasks on a faithful service and needs HIDREAM_LIVE_MAX_BILLABLE >= {needed} "
            f"(it is {budget}); HIDREAM_LIVE_PROBES=auto runs what the budget allows"
        )
    return Plan(negative, paid, silent, [])
