"""The spec, read in one place: every fact the tooling needs comes from here, never from a copy.

`SPEC_PATH` is where the document is, read from its one pointer in pyproject.toml (scripts ask
`python -m hidream_contract.spec path`);
the functions answer the facts other modules need: the production base URL, the operations with
their method, path and documented statuses, the examples, the allowed values of a field.
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


@dataclass(frozen=True)
class Operation:
    method: str  # upper case, as on the wire
    path: str
    operation_id: str  # "" when the document names none
    statuses: frozenset[int]  # the documented response statuses
    json_statuses: frozenset[int]  # those whose answer has a JSON body schema (the envelope)
    definition: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The operation object as the document writes it (references not followed)."""
    parameters: Mapping[tuple[str, str], Mapping[str, Any]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Its parameters, path-level ones included and overridden by its own, resolved, by `parameter_key`."""

    @property
    def label(self) -> str:
        """How reports name the operation: `POST /image/...`."""
        return f"{self.method} {self.path}"


def parameter_key(location: str, name: str) -> tuple[str, str]:
    """How a parameter is told apart: its place and name (header names are case-insensitive on the wire)."""
    return (location, name.lower() if location == "header" else name)


def operations(path: Path = SPEC_PATH) -> list[Operation]:
    return operations_in(_parsed(path))


def operations_in(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation of `document` (the spec, a variant, or another version of it)."""
    found = []
    for op_path, item in (document.get("paths") or {}).items():
        item = resolve_in(document, item)
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = {
                int(code): resolve_in(document, r)
                for code, r in (op.get("responses") or {}).items()
                if str(code).isdigit()
            }
            with_json = {
                code for code, r in responses.items() if "application/json" in (r.get("content") or {})
            }
            parameters: dict[tuple[str, str], Mapping[str, Any]] = {}
            for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
                parameter = resolve_in(document, raw)
                parameters[parameter_key(parameter["in"], parameter["name"])] = parameter
            found.append(
                Operation(
                    method.upper(),
                    op_path,
                    str(op.get("operationId", "")),
                    frozenset(responses),
                    frozenset(with_json),
                    op,
                    parameters,
                )
            )
    return found


def _content(response: Any, path: Path) -> dict[str, Any]:
    content: dict[str, Any] = resolve(response, path).get("content", {})
    return content


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


def _operation_object(operation_id: str, path: Path) -> dict[str, Any]:
    op = operation(operation_id, path)
    found: dict[str, Any] = _parsed(path)["paths"][op.path][op.method.lower()]
    return found


def resolve(node: Any, path: Path = SPEC_PATH) -> Any:
    """Follow a local `$ref` (repeatedly) to the object it names in the spec at `path`."""
    return resolve_in(_parsed(path), node)


def resolve_in(document: Mapping[str, Any], node: Any) -> Any:
    """Follow a local `$ref` (repeatedly) to the object it names in `document` (the spec or a variant).

    JSON Pointer escapes (`~1` for `/`, `~0` for `~`) are read; a `$ref` that names nothing raises
    KeyError (or TypeError), one that comes back to itself ValueError."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if ref in seen:
            raise ValueError(f"$ref {ref!r} refers back to itself")
        seen.add(ref)
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def request_examples(operation_id: str = SUBMIT_ID, path: Path = SPEC_PATH) -> dict[str, Any]:
    """The JSON request examples, by name."""
    content = resolve(_operation_object(operation_id, path)["requestBody"], path)["content"]
    examples = content["application/json"].get("examples", {})
    return {name: copy.deepcopy(resolve(ex, path)["value"]) for name, ex in examples.items()}


def response_examples(operation_id: str = SUBMIT_ID, path: Path = SPEC_PATH) -> dict[tuple[int, str], Any]:
    """The JSON response examples, by (status, name)."""
    found: dict[tuple[int, str], Any] = {}
    for status, response in _operation_object(operation_id, path)["responses"].items():
        media = resolve(response, path).get("content", {}).get("application/json", {})
        for name, ex in media.get("examples", {}).items():
            found[(int(status), name)] = copy.deepcopy(resolve(ex, path)["value"])
    return found


def body_property(name: str, operation_id: str = SUBMIT_ID, path: Path = SPEC_PATH) -> dict[str, Any]:
    """The schema of one request-body field."""
    content = resolve(_operation_object(operation_id, path)["requestBody"], path)["content"]
    schema = resolve(content["application/json"]["schema"], path)
    found: dict[str, Any] = resolve(schema["properties"][name], path)
    return found


def header_parameter(name: str, operation_id: str = SUBMIT_ID, path: Path = SPEC_PATH) -> dict[str, Any]:
    """One header parameter of an operation, by its name (case-insensitive, as HTTP headers are)."""
    for param in _operation_object(operation_id, path).get("parameters", []):
        param = resolve(param, path)
        if param["in"] == "header" and param["name"].lower() == name.lower():
            found: dict[str, Any] = param
            return found
    raise KeyError(f"{operation_id} has no header {name!r}")


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
