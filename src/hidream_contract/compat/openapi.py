"""Reading an OpenAPI document: operations, parameters, responses, examples (internal `$ref`s only)."""

from __future__ import annotations

import re
from typing import Any

from hidream_contract.compat.loading import CompatError, Spec
from hidream_contract.spec import Operation, operations_in, resolve_in


def resolve(spec: Spec, node: Any) -> Any:
    """Follow `$ref`s inside the document (hidream_contract.spec's one resolver); a reference the gate
    cannot follow is a CompatError (exit 2) that names it."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and not ref.startswith("#/"):
        raise CompatError(f"cannot follow $ref {ref!r}: only references inside the document are read")
    try:
        return resolve_in(spec, node)
    except ValueError:
        raise CompatError(f"cannot follow $ref {ref!r}: only acyclic references are read") from None
    except (KeyError, TypeError, IndexError):
        raise CompatError(f"$ref {ref!r} points at nothing") from None


def operations(spec: Spec) -> dict[tuple[str, str], Operation]:
    """The document's operations (hidream_contract.spec's one reader), by (METHOD, path)."""
    try:
        return {(op.method, op.path): op for op in operations_in(spec)}
    except (KeyError, TypeError, ValueError) as error:
        raise CompatError(f"cannot read the operations: {error!r}") from None


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
