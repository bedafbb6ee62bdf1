"""What a spec allows, drawn by schemathesis: requests from the old spec, responses from the new one.

Requests come from `APIOperation.as_strategy()` in positive mode (valid data only). Schemathesis
generates requests, not responses, so a response is drawn the same way from a mirror document in
which the response's body schema and headers are the request's: the same generator then speaks for
both directions. The spec's own examples are added to what is drawn. A fixed seed and a bounded
count keep every run identical.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import FlakyFailure
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from hidream_contract.compat.openapi import media_examples, request_body, resolve
from hidream_contract.spec import Operation, resolve_in

Spec = dict[str, Any]
MIRROR_PATH = "/mirror"
_DRAWN: dict[str, list[Sample]] = {}
"""Samples drawn in this process, by what they were drawn from: the same document, count and seed
always draw the same samples, so a base spec judged against many variants is drawn once."""


def _key(spec: Spec, node: Any, *parts: Any) -> str:
    """What a draw from `node` depends on: the node, every part of the document it refers to
    (transitively), and `parts`; an edit elsewhere in the spec leaves the key alone."""
    referred: dict[str, Any] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref not in referred:
                referred[ref] = target = resolve_in(spec, {"$ref": ref})
                pending.append(target)
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    payload = json.dumps([node, referred, spec.get("openapi"), *parts], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Sample:
    """One request or response: where it came from, and what it carries."""

    source: str  # "example 'imageUrl'" or "generated #12"
    media_type: str | None
    body: Any
    has_body: bool
    headers: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    path_parameters: dict[str, Any] = field(default_factory=dict)
    cookies: dict[str, Any] = field(default_factory=dict)
    # Examples document a body only, so their parameters are not checked.
    parameters_checked: bool = True


def _draw(operation: Any, count: int, seed: int) -> list[Any]:
    # CPython 3.11 keeps one AST recursion counter for every thread (python/cpython#106905): Hypothesis
    # parses lambdas' source while it draws, and a thread of the same process importing a module from
    # source at that moment (a server thread of another test, under xdist) makes the parse fail with a
    # SystemError, which Hypothesis reports as FlakyFailure. The draw is seeded, so a second try draws
    # the same samples; any other failure is raised as it is.
    try:
        return _draw_once(operation, count, seed)
    except (SystemError, FlakyFailure) as error:
        if isinstance(error, FlakyFailure) and not error.subgroup(SystemError):
            raise
        return _draw_once(operation, count, seed)


def _draw_once(operation: Any, count: int, seed: int) -> list[Any]:
    drawn: list[Any] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def collect(case: Any) -> None:
        drawn.append(case)

    collect()
    return drawn


def _from_case(case: Any, source: str) -> Sample:
    has_body = not isinstance(case.body, NotSet)
    return Sample(
        source=source,
        media_type=case.media_type if has_body else None,
        body=copy.deepcopy(case.body) if has_body else None,
        has_body=has_body,
        headers=dict(case.headers or {}),
        query=dict(case.query or {}),
        path_parameters=dict(case.path_parameters or {}),
        cookies=dict(case.cookies or {}),
    )


def request_samples(spec: Spec, operation: Operation, count: int, seed: int) -> list[Sample]:
    """Requests valid under `spec`: its examples first, then `count` drawn by schemathesis."""
    # Path-level parameters and the security schemes (named, not $ref'd) shape the draw too.
    security = [spec.get("security"), (spec.get("components") or {}).get("securitySchemes")]
    node = [operation.definition, list(operation.parameters.values()), security]
    key = _key(spec, node, "request", operation.method, operation.path, count, seed)
    if key not in _DRAWN:
        _DRAWN[key] = _request_samples(spec, operation, count, seed)
    return _DRAWN[key]


def _request_samples(spec: Spec, operation: Operation, count: int, seed: int) -> list[Sample]:
    samples: list[Sample] = []
    body = request_body(spec, operation)
    for media_type, media in ((body or {}).get("content") or {}).items():
        for name, value in media_examples(spec, media):
            samples.append(Sample(f"example {name!r}", media_type, value, True, parameters_checked=False))
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec))
    api_operation = schema[operation.path][operation.method]
    drawn = _draw(api_operation, count, seed)
    samples.extend(_from_case(case, f"generated #{index}") for index, case in enumerate(drawn, 1))
    return samples


def _mirror(spec: Spec, response: dict[str, Any]) -> Spec:
    """A document whose one operation takes, as its request, what `response` answers with."""
    parameters = []
    for name, header in (response.get("headers") or {}).items():
        if name.lower() == "content-type":  # described by the media type, never as a header
            continue
        header = resolve(spec, header)
        parameters.append(
            {
                "name": name,
                "in": "header",
                "required": bool(header.get("required", False)),
                "schema": header.get("schema", {"type": "string"}),
            }
        )
    operation: dict[str, Any] = {"parameters": parameters, "responses": {"200": {"description": "mirror"}}}
    content = response.get("content") or {}
    if content:
        operation["requestBody"] = {
            "required": True,
            "content": {
                media_type: {"schema": media.get("schema", {})} for media_type, media in content.items()
            },
        }
    return {
        "openapi": spec["openapi"],
        "info": {"title": "mirror", "version": "0"},
        "paths": {MIRROR_PATH: {"post": operation}},
        "components": copy.deepcopy(spec.get("components") or {}),
    }


def response_samples(spec: Spec, response: dict[str, Any], count: int, seed: int) -> list[Sample]:
    """Responses `response` (resolved) allows: its examples first, then `count` drawn by schemathesis."""
    key = _key(spec, response, "response", count, seed)
    if key not in _DRAWN:
        _DRAWN[key] = _response_samples(spec, response, count, seed)
    return _DRAWN[key]


def _response_samples(spec: Spec, response: dict[str, Any], count: int, seed: int) -> list[Sample]:
    samples: list[Sample] = []
    for media_type, media in (response.get("content") or {}).items():
        for name, value in media_examples(spec, media):
            samples.append(Sample(f"example {name!r}", media_type, value, True, parameters_checked=False))
    mirror = schemathesis.openapi.from_dict(_mirror(spec, response))
    drawn = _draw(mirror[MIRROR_PATH]["POST"], count, seed)
    samples.extend(_from_case(case, f"generated #{index}") for index, case in enumerate(drawn, 1))
    return samples
