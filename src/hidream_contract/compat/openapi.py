"""Reading an OpenAPI document: operations, parameters, responses, examples (internal `$ref`s only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hidream_contract.compat.loading import CompatError, Spec

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def resolve(spec: Spec, node: Any) -> Any:
    """Follow `$ref`s inside the document until a node without one."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise CompatError(
                f"cannot follow $ref {ref!r}: only acyclic references inside the document are read"
            )
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise CompatError(f"$ref {ref!r} points at nothing")
            target = target[part]
        node = target
    return node


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str
    definition: dict[str, Any]
    parameters: dict[tuple[str, str], dict[str, Any]]  # (in, name) -> resolved parameter

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def parameter_key(location: str, name: str) -> tuple[str, str]:
    # Header names are case-insensitive on the wire.
    return (location, name.lower() if location == "header" else name)


def operations(spec: Spec) -> dict[tuple[str, str], Operation]:
    found: dict[tuple[str, str], Operation] = {}
    for path, item in (spec.get("paths") or {}).items():
        item = resolve(spec, item)
        for method in METHODS:
            if method not in item:
                continue
            definition = item[method]
            params: dict[tuple[str, str], dict[str, Any]] = {}
            # Operation-level parameters override path-level ones with the same name and place.
            for raw in [*item.get("parameters", []), *definition.get("parameters", [])]:
                param = resolve(spec, raw)
                params[parameter_key(param["in"], param["name"])] = param
            found[(method.upper(), path)] = Operation(method.upper(), path, definition, params)
    return found


def request_body(spec: Spec, operation: Operation) -> dict[str, Any] | None:
    body = operation.definition.get("requestBody")
    return None if body is None else dict(resolve(spec, body))


def responses(spec: Spec, operation: Operation) -> dict[str, dict[str, Any]]:
    return {
        str(status): resolve(spec, response) for status, response in operation.definition["responses"].items()
    }


def covering_status(statuses: dict[str, Any], status: str) -> str | None:
    """The response key that documents `status`: itself, its range (`4XX`), or `default`."""
    if status in statuses:
        return status
    if re.fullmatch(r"\d{3}", status) and (ranged := f"{status[0]}XX") in statuses:
        return ranged
    if status.upper() in statuses:  # e.g. "4xx" spelled differently
        return status.upper()
    return "default" if "default" in statuses else None


def security(spec: Spec, operation: Operation) -> list[frozenset[str]]:
    """Each alternative the operation accepts, as the set of scheme definitions it needs (as text)."""
    requirements = operation.definition.get("security", spec.get("security")) or []
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    alternatives = []
    for requirement in requirements:
        needed = set()
        for name in requirement:
            scheme = resolve(spec, schemes.get(name, {"undefined": name}))
            described = {k: v for k, v in scheme.items() if k in ("type", "scheme", "in", "name", "flows")}
            needed.add(repr(sorted(described.items())))
        alternatives.append(frozenset(needed))
    return alternatives


def media_examples(spec: Spec, media: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, value) of the examples a media type object documents (`example`, `examples`)."""
    found: list[tuple[str, Any]] = []
    if "example" in media:
        found.append(("example", media["example"]))
    for name, example in (media.get("examples") or {}).items():
        example = resolve(spec, example)
        if isinstance(example, dict) and "value" in example:
            found.append((name, example["value"]))
    return found


def is_json(media_type: str) -> bool:
    essence = media_type.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def media_type_matches(declared: str, actual: str) -> bool:
    """Whether a body sent as `actual` falls under the `declared` media type range (`*/*`, `image/*`)."""
    d_type, _, d_sub = declared.split(";")[0].strip().lower().partition("/")
    a_type, _, a_sub = actual.split(";")[0].strip().lower().partition("/")
    return d_type in ("*", a_type) and d_sub in ("*", a_sub)


def find_media(content: dict[str, Any], media_type: str) -> str | None:
    exact = next((m for m in content if m.split(";")[0].strip().lower() == media_type.lower()), None)
    return exact or next((m for m in content if media_type_matches(m, media_type)), None)
