"""The spec, read in one place: every fact the tooling needs comes from here, never from a copy.

`SPEC_PATH` is where the document is, read from its one pointer in pyproject.toml (scripts ask
`python -m hidream_contract.spec path`);
the functions answer the facts other modules need: the production base URL, the operations with
their method, path, documented statuses and resolved parameters, the examples.

It is the tooling's one OpenAPI reader: `resolve_in` is the one `$ref` resolver and `Operation` the one
model of an operation; `operations_in`/`operation_in` read any document (a variant, the other side of
a compat comparison, the copy a rendered page embeds) with the same code as the spec.
"""

from __future__ import annotations

import copy
import functools
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hidream_contract.project import ROOT


def _pointer() -> Path:
    """pyproject.toml names the spec once, for the build's version hook and for us."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        relative: str = tomllib.load(file)["tool"]["hatch"]["metadata"]["hooks"]["custom"]["spec"]
    return ROOT / relative


SPEC_PATH = _pointer()
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def _parsed(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: not an OpenAPI document (a YAML mapping)")
    return loaded


def load(path: Path = SPEC_PATH) -> dict[str, Any]:
    """The document as a fresh dict: callers may change their copy (tests build variants from it)."""
    return copy.deepcopy(_parsed(path))


def production_base_url(path: Path = SPEC_PATH) -> str:
    """The first server's URL: where the real service lives."""
    url: str = _parsed(path)["servers"][0]["url"]
    return url


class RefError(ValueError):
    """A `$ref` the reader cannot follow: not inside the document, circular, or naming nothing."""


def resolve_in(document: Mapping[str, Any], node: Any) -> Any:
    """Follow a local `$ref` (repeatedly) to the object it names in `document` (the spec or a variant).

    The one resolver of the tooling: JSON pointers inside the document (`#/a/b`, `~1` and `~0`
    unescaped); anything else raises RefError naming the `$ref`.
    """
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise RefError(
                f"cannot follow $ref {ref!r}: only acyclic references inside the document are read"
            )
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise RefError(f"$ref {ref!r} points at nothing")
            target = target[part]
        node = target
    return node


def resolve(node: Any, path: Path = SPEC_PATH) -> Any:
    """Follow a local `$ref` (repeatedly) to the object it names in the spec at `path`."""
    return resolve_in(_parsed(path), node)


def flat_schema(document: Mapping[str, Any], node: Any) -> Any:
    """A schema resolved, a one-member `allOf` merged into it (its own keywords win): `allOf: [$ref]`
    beside a `default` is how the spec shares a component (one generated type for every operation) and
    still states a default, and means the component written out. Anything else is returned resolved."""
    resolved = resolve_in(document, node)
    if not isinstance(resolved, Mapping):
        return resolved
    parts = resolved.get("allOf")
    if not (isinstance(parts, list) and len(parts) == 1):
        return resolved
    inner = flat_schema(document, parts[0])
    if not isinstance(inner, Mapping):
        return resolved
    return {**inner, **{key: value for key, value in resolved.items() if key != "allOf"}}


@dataclass(frozen=True)
class Operation:
    """One operation of a document, the one model of it in the tooling.

    `definition` is the operation object as the document has it, and `parameters` its path- and
    operation-level parameters resolved (an operation's own overriding the path's): both belong to
    the document they came from, so a caller copies before changing them.
    """

    method: str  # upper case, as on the wire
    path: str
    operation_id: str  # "" when the document names none
    statuses: frozenset[int]  # the documented response statuses (numeric keys)
    definition: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    parameters: Mapping[tuple[str, str], Mapping[str, Any]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Its parameters, path-level ones included and overridden by its own, resolved, by `parameter_key`."""

    @property
    def label(self) -> str:
        """How reports name the operation: `POST /image/...`."""
        return f"{self.method} {self.path}"

    def header_parameters(self) -> tuple[dict[str, Any], ...]:
        """The header parameters (name, required, schema...): the one reader of them."""
        return tuple(dict(p) for p in self.parameters.values() if p.get("in") == "header")


def parameter_key(location: str, name: str) -> tuple[str, str]:
    """Where a parameter is and its name; header names compare case-insensitively, as on the wire."""
    return (location, name.lower() if location == "header" else name)


def operations_in(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation of `document` (the spec or a variant of it), in the document's order."""
    found = []
    for op_path, raw_item in (document.get("paths") or {}).items():
        item = resolve_in(document, raw_item)
        for method, definition in item.items():
            if method not in HTTP_METHODS:
                continue
            params: dict[tuple[str, str], Mapping[str, Any]] = {}
            for raw in [*item.get("parameters", []), *definition.get("parameters", [])]:
                param = resolve_in(document, raw)
                if "schema" in param:  # readers see the values and default, wherever the spec keeps them
                    param = {**param, "schema": flat_schema(document, param["schema"])}
                params[parameter_key(param["in"], param["name"])] = param
            statuses = frozenset(int(code) for code in definition.get("responses", {}) if str(code).isdigit())
            found.append(
                Operation(
                    method.upper(),
                    op_path,
                    definition.get("operationId", ""),
                    statuses,
                    definition,
                    params,
                )
            )
    return found


def operations(path: Path = SPEC_PATH) -> list[Operation]:
    return operations_in(_parsed(path))


def operation_in(document: Mapping[str, Any], operation_id: str) -> Operation:
    for op in operations_in(document):
        if op.operation_id == operation_id:
            return op
    raise KeyError(f"the document has no operation {operation_id!r}")


def operation(operation_id: str, path: Path = SPEC_PATH) -> Operation:
    for op in operations(path):
        if op.operation_id == operation_id:
            return op
    raise KeyError(f"{path.name} has no operation {operation_id!r}")


SUBMIT_ID = "submitUpscaleTask"
"""The submit's operationId: the key tools find it by (its path and all else come from the spec)."""


def submit() -> Operation:
    return operation(SUBMIT_ID)


RESULT_ID = "getUpscaleTaskResult"
"""The result read's operationId (issue 13): a task's status and output image, a GET that creates nothing."""


def result_read() -> Operation:
    return operation(RESULT_ID)


def request_examples(operation_id: str = SUBMIT_ID, path: Path = SPEC_PATH) -> dict[str, Any]:
    """The JSON request examples, by name."""
    content = resolve(operation(operation_id, path).definition["requestBody"], path)["content"]
    examples = content["application/json"].get("examples", {})
    return {name: copy.deepcopy(resolve(ex, path)["value"]) for name, ex in examples.items()}


def response_examples(operation_id: str = SUBMIT_ID, path: Path = SPEC_PATH) -> dict[tuple[int, str], Any]:
    """The JSON response examples, by (status, name)."""
    found: dict[tuple[int, str], Any] = {}
    for status, response in operation(operation_id, path).definition["responses"].items():
        media = resolve(response, path).get("content", {}).get("application/json", {})
        for name, ex in media.get("examples", {}).items():
            found[(int(status), name)] = copy.deepcopy(resolve(ex, path)["value"])
    return found


def main(argv: list[str]) -> int:
    """`python -m hidream_contract.spec path|base-url`: the facts scripts need, printed."""
    answers = {"path": lambda: str(SPEC_PATH.relative_to(ROOT)), "base-url": production_base_url}
    if len(argv) != 1 or argv[0] not in answers:
        print(f"usage: python -m hidream_contract.spec {{{'|'.join(answers)}}}", file=sys.stderr)
        return 2
    print(answers[argv[0]]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
