"""Name what changed between two specs, for people: the report and the changelog text.

This layer never decides whether a change breaks clients (`judge.py` does, with generated
requests and responses); it only says, in words, what is different and where, so that a finding
can be tied to the change that caused it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hidream_contract.compat.loading import Spec
from hidream_contract.compat.openapi import operations, request_body, resolve, responses
from hidream_contract.spec import Operation, flat_schema

Pointer = tuple[str | int, ...]
# Keywords that only document; a change to them changes no client.
PROSE = frozenset({"description", "title", "summary", "examples", "example", "externalDocs", "deprecated"})
CONSTRAINTS = (
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "additionalProperties",
    "not",
    "nullable",
)
# Where a kind of change goes in a Keep-a-Changelog entry.
SECTIONS = {
    "operation-added": "Added",
    "status-added": "Added",
    "parameter-added": "Added",
    "property-added": "Added",
    "enum-added": "Added",
    "media-type-added": "Added",
    "operation-removed": "Removed",
    "status-removed": "Removed",
    "parameter-removed": "Removed",
    "property-removed": "Removed",
    "enum-removed": "Removed",
    "media-type-removed": "Removed",
}


@dataclass(frozen=True)
class Change:
    kind: str  # e.g. "property-renamed"; its changelog section is SECTIONS.get(kind, "Changed")
    direction: str  # "request" or "response"
    operation: str
    status: str | None
    location: str  # "operation", "status", "body", "media type", "header 'X'", ...
    path: Pointer  # inside the body or parameter: the old name for a rename or a removal
    text: str

    @property
    def section(self) -> str:
        return SECTIONS.get(self.kind, "Changed")


def _types(schema: dict[str, Any]) -> list[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return sorted(kind) if isinstance(kind, list) else [kind]


def _substance(spec: Spec, schema: Any) -> str:
    """The schema with its prose dropped and references followed, as comparable text."""

    def strip(node: Any, depth: int = 0) -> Any:
        if depth > 20:
            return "…"
        if isinstance(node, dict):
            node = resolve(spec, node)
            return {
                k: strip(v, depth + 1) for k, v in node.items() if k not in PROSE and not k.startswith("x-")
            }
        if isinstance(node, list):
            return [strip(v, depth + 1) for v in node]
        return node

    return json.dumps(strip(schema), sort_keys=True, default=str)


def _dotted(path: Pointer) -> str:
    return ".".join(str(p) for p in path) or "the body"


def _flat(document: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as `spec.flat_schema` reads it (a one-member `allOf` is the schema it wraps)."""
    flat: Any = flat_schema(document, schema)
    return flat if isinstance(flat, dict) else schema


class _Differ:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.found: list[Change] = []
        self._visiting: list[tuple[Any, Any]] = []

    def add(self, kind: str, where: dict[str, Any], path: Pointer, text: str) -> None:
        self.found.append(Change(kind=kind, path=path, text=text, **where))

    def schema(self, old: Any, new: Any, where: dict[str, Any], path: Pointer = ()) -> None:
        if not isinstance(old, dict) or not isinstance(new, dict):
            if _substance(self.old, old) != _substance(self.new, new):
                self.add("schema-changed", where, path, f"the schema of `{_dotted(path)}` changed")
            return
        refs = (old.get("$ref"), new.get("$ref"))
        if refs != (None, None) and refs in self._visiting:  # a recursive schema: stop at the cycle
            return
        self._visiting.append(refs)
        try:
            self._compare(_flat(self.old, old), _flat(self.new, new), where, path)
        finally:
            self._visiting.pop()

    def _compare(
        self, old: dict[str, Any], new: dict[str, Any], where: dict[str, Any], path: Pointer
    ) -> None:
        at = f"`{_dotted(path)}`"
        old_types, new_types = _types(old), _types(new)
        if old_types != new_types and old_types and new_types:
            text = f"type of {at}: {'|'.join(old_types)} → {'|'.join(new_types)}"
            self.add("type-changed", where, path, text)
        if "enum" in old and "enum" in new:
            removed = [v for v in old["enum"] if v not in new["enum"]]
            added = [v for v in new["enum"] if v not in old["enum"]]
            if removed:
                self.add("enum-removed", where, path, f"value(s) {removed} of {at}")
            if added:
                self.add("enum-added", where, path, f"value(s) {added} of {at}")
        elif "enum" in old or "enum" in new:
            self.add(
                "constraint-changed", where, path, f"enum of {at}: {old.get('enum')} → {new.get('enum')}"
            )
        for keyword in CONSTRAINTS:
            before, after = old.get(keyword), new.get(keyword)
            if _substance(self.old, before) != _substance(self.new, after):
                self.add("constraint-changed", where, path, f"`{keyword}` of {at}: {before!r} → {after!r}")
        self._properties(old, new, where, path)
        if "items" in old and "items" in new:
            self.schema(old["items"], new["items"], where, (*path, "*"))
        for keyword in ("oneOf", "anyOf", "allOf"):
            old_branches, new_branches = old.get(keyword, []), new.get(keyword, [])
            if len(old_branches) == len(new_branches):
                for old_branch, new_branch in zip(old_branches, new_branches, strict=True):
                    self.schema(old_branch, new_branch, where, path)
            else:
                text = f"`{keyword}` of {at}: {len(old_branches)} → {len(new_branches)} alternatives"
                self.add("constraint-changed", where, path, text)

    def _properties(
        self, old: dict[str, Any], new: dict[str, Any], where: dict[str, Any], path: Pointer
    ) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]
        if len(removed) == 1 and len(added) == 1:
            before, after = removed[0], added[0]
            if _substance(self.old, old_props[before]) == _substance(self.new, new_props[after]):
                text = f"`{_dotted((*path, before))}` renamed to `{after}`"
                self.add("property-renamed", where, (*path, before), text)
                removed, added = [], []
        for name in removed:
            self.add("property-removed", where, (*path, name), f"`{_dotted((*path, name))}`")
        for name in added:
            state = "required" if name in new_required else "optional"
            self.add("property-added", where, (*path, name), f"{state} `{_dotted((*path, name))}`")
        for name in old_props.keys() & new_props.keys():
            self.schema(old_props[name], new_props[name], where, (*path, name))
            if name in new_required and name not in old_required:
                self.add(
                    "required-added", where, (*path, name), f"`{_dotted((*path, name))}` is now required"
                )
            if name in old_required and name not in new_required:
                self.add(
                    "required-removed", where, (*path, name), f"`{_dotted((*path, name))}` is now optional"
                )

    def content(self, old: dict[str, Any], new: dict[str, Any], where: dict[str, Any]) -> None:
        old_content, new_content = old.get("content") or {}, new.get("content") or {}
        for media_type in old_content.keys() - new_content.keys():
            self.add(
                "media-type-removed", {**where, "location": "media type"}, (), f"media type {media_type}"
            )
        for media_type in new_content.keys() - old_content.keys():
            self.add("media-type-added", {**where, "location": "media type"}, (), f"media type {media_type}")
        for media_type in sorted(old_content.keys() & new_content.keys()):
            self.schema(
                old_content[media_type].get("schema", {}), new_content[media_type].get("schema", {}), where
            )

    def parameters(self, old_op: Operation, new_op: Operation, where: dict[str, Any]) -> None:
        for key in old_op.parameters.keys() - new_op.parameters.keys():
            label = f"{key[0]} '{old_op.parameters[key]['name']}'"
            self.add("parameter-removed", {**where, "location": label}, (), label)
        for key in new_op.parameters.keys() - old_op.parameters.keys():
            param = new_op.parameters[key]
            label = f"{key[0]} '{param['name']}'"
            state = "required" if param.get("required") else "optional"
            self.add("parameter-added", {**where, "location": label}, (), f"{state} {label}")
        for key in sorted(old_op.parameters.keys() & new_op.parameters.keys()):
            old_param, new_param = old_op.parameters[key], new_op.parameters[key]
            label = f"{key[0]} '{new_param['name']}'"
            if new_param.get("required") and not old_param.get("required"):
                self.add("parameter-required", {**where, "location": label}, (), f"{label} is now required")
            self.schema(
                old_param.get("schema", {}), new_param.get("schema", {}), {**where, "location": label}
            )

    def operation(self, old_op: Operation, new_op: Operation) -> None:
        request = {"direction": "request", "operation": old_op.label, "status": None, "location": "body"}
        self.parameters(old_op, new_op, request)
        old_body, new_body = request_body(self.old, old_op) or {}, request_body(self.new, new_op) or {}
        if new_body.get("required") and not old_body.get("required"):
            self.add("body-required", request, (), "the request body is now required")
        self.content(old_body, new_body, request)
        old_responses, new_responses = responses(self.old, old_op), responses(self.new, new_op)
        for status in old_responses:
            where = {**request, "direction": "response", "status": status, "location": "status"}
            if status not in new_responses:
                self.add("status-removed", where, (), f"response {status} of {old_op.label}")
        for status in new_responses:
            where = {**request, "direction": "response", "status": status, "location": "status"}
            if status not in old_responses:
                self.add("status-added", where, (), f"response {status} of {old_op.label}")
                continue
            old_response, new_response = old_responses[status], new_responses[status]
            self.content(old_response, new_response, {**where, "location": "body"})
            self._headers(old_response, new_response, where)

    def _headers(self, old: dict[str, Any], new: dict[str, Any], where: dict[str, Any]) -> None:
        old_headers = {k.lower(): (k, resolve(self.old, v)) for k, v in (old.get("headers") or {}).items()}
        new_headers = {k.lower(): (k, resolve(self.new, v)) for k, v in (new.get("headers") or {}).items()}
        for key in old_headers.keys() - new_headers.keys():
            label = f"header '{old_headers[key][0]}'"
            self.add(
                "parameter-removed", {**where, "location": label}, (), f"response {where['status']} {label}"
            )
        for key in new_headers.keys() - old_headers.keys():
            label = f"header '{new_headers[key][0]}'"
            self.add(
                "parameter-added", {**where, "location": label}, (), f"response {where['status']} {label}"
            )
        for key in sorted(old_headers.keys() & new_headers.keys()):
            (_, before), (name, after) = old_headers[key], new_headers[key]
            self.schema(
                before.get("schema", {}), after.get("schema", {}), {**where, "location": f"header '{name}'"}
            )


def diff(old: Spec, new: Spec) -> list[Change]:
    """Every contract-relevant difference between `old` and `new`, named and located."""
    differ = _Differ(old, new)
    old_ops, new_ops = operations(old), operations(new)
    for key, old_op in old_ops.items():
        if key not in new_ops:
            where = {
                "direction": "request",
                "operation": old_op.label,
                "status": None,
                "location": "operation",
            }
            differ.add("operation-removed", where, (), f"operation {old_op.label}")
        else:
            differ.operation(old_op, new_ops[key])
    for key, new_op in new_ops.items():
        if key not in old_ops:
            where = {
                "direction": "request",
                "operation": new_op.label,
                "status": None,
                "location": "operation",
            }
            differ.add("operation-added", where, (), f"operation {new_op.label}")
    return differ.found
