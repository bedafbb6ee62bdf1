"""The spec's OpenAPI 3.0 rendition, for generators that read only 3.0 (oapi-codegen,
openapi-typescript-codegen, NSwag, AutoRest), made by code from the 3.1 source and never edited by hand.

The conversion is `@apiture/openapi-down-convert` (pinned in package.json), run with `--allOf` (a `$ref`
with siblings becomes an `allOf`, which 3.0 reads). `finish` then rewrites the few 3.1 constructs that
converter leaves in place, each for a stated reason, and `leftovers` refuses any 3.1-only construct that
is still there: a spec change that uses a new one fails `make generate`, naming it, instead of publishing
a 3.0 file that is not one.

    python -m hidream_contract.openapi30 [--output PATH]   writes the rendition (default: RENDITION_PATH)
    python -m hidream_contract.openapi30 path              prints RENDITION_PATH relative to the checkout
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH

RENDITION_PATH = SPEC_PATH.with_name(f"{SPEC_PATH.stem}.openapi-3.0.yaml")
CONVERTER = "@apiture/openapi-down-convert"
CONVERTER_BIN = ROOT / "node_modules" / ".bin" / "openapi-down-convert"
VERSION = "3.0.3"

SCHEMA_MAPS = ("properties", "patternProperties")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else")
ONLY_IN_31 = (
    "const",
    "if",
    "then",
    "else",
    "examples",
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "contentMediaType",
    "contentEncoding",
    "$schema",
    "$defs",
)


class RenditionError(RuntimeError):
    """The converter failed, or its output still holds what OpenAPI 3.0 cannot say."""


def converter_version() -> str:
    manifest = ROOT / "node_modules" / CONVERTER / "package.json"
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def convert(spec: Path = SPEC_PATH) -> dict[str, Any]:
    """The converter's output for `spec`, finished (`finish`) and checked (`leftovers`)."""
    with tempfile.TemporaryDirectory(prefix="openapi30-") as work:
        out = Path(work) / "converted.yaml"
        try:
            done = subprocess.run(
                [str(CONVERTER_BIN), "--allOf", "--input", str(spec), "--output", str(out)],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RenditionError(
                f"could not run {CONVERTER} ({CONVERTER_BIN}; make install): {error}"
            ) from None
        if done.returncode != 0 or not out.exists():
            raise RenditionError(f"{CONVERTER} failed: {(done.stderr or done.stdout).strip()[-600:]}")
        converted = yaml.safe_load(out.read_text(encoding="utf-8"))
    document = finish(converted)
    found = leftovers(document)
    if found:
        raise RenditionError("the 3.0 rendition still holds 3.1-only constructs: " + "; ".join(found))
    return document


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite, in place, what the converter leaves as 3.1 (each rule says why it is needed)."""
    document["openapi"] = VERSION
    info = document["info"]
    # 3.0's Info has no `summary` (the converter keeps it): it becomes the description's first paragraph.
    summary = info.pop("summary", None)
    if summary:
        info["description"] = f"{summary}\n\n{info.get('description', '')}".rstrip() + "\n"
    for schema in _schemas(document):
        _finish_schema(schema, document)
    return document


def _type_of(branch: dict[str, Any], document: dict[str, Any]) -> str:
    """The `type` a branch declares, itself or through its `$ref` (to a component schema)."""
    if "$ref" in branch:
        name = str(branch["$ref"]).removeprefix("#/components/schemas/")
        branch = document.get("components", {}).get("schemas", {}).get(name, {})
    kind = branch.get("type")
    if not isinstance(kind, str):
        raise RenditionError(f"a nullable branch without one `type` 3.0 can name: {json.dumps(branch)[:120]}")
    return kind


def _finish_schema(schema: dict[str, Any], document: dict[str, Any]) -> None:
    # `const`: 3.0 has only `enum`. The converter rewrites it only when the value is truthy (0.14.2
    # tests `if (schema['const'])`), so `const: 0`, the envelope's success code, stays.
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    # `anyOf: [X, {type: 'null'}]`: 3.0 says null with `nullable`; the converter only rewrites
    # `type: [X, 'null']`. A lone remaining branch becomes `type` (X's, which `nullable` needs beside
    # it) with `nullable: true` and `allOf: [X]`, the form 3.0 generators read as "X, or null".
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and {"type": "null"} in branches:
            rest = [branch for branch in branches if branch != {"type": "null"}]
            schema["nullable"] = True
            del schema[keyword]
            if len(rest) == 1:
                schema.setdefault("type", _type_of(rest[0], document))
                schema["allOf"] = [*schema.get("allOf", []), rest[0]]
            else:
                schema[keyword] = rest
    # `if`/`then`/`else`: 3.0 has no conditional. What they add (`code` 0 makes `result` and its task
    # required) is for validators, which read the 3.1 spec; generators ignore it either way.
    for keyword in ("if", "then", "else"):
        schema.pop(keyword, None)


def _schemas(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema object of the document, outer ones first; boolean subschemas become objects."""
    roots: list[Any] = list(document.get("components", {}).get("schemas", {}).values())
    roots += [node["schema"] for node in _nodes(document) if isinstance(node.get("schema"), dict)]
    stack = list(reversed(roots))
    seen: set[int] = set()
    while stack:
        schema = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield schema
        children: list[Any] = []
        for keyword in SCHEMA_MAPS:
            mapping = schema.get(keyword)
            if isinstance(mapping, dict):
                for name, child in list(mapping.items()):
                    mapping[name] = _as_object(child)
                    children.append(mapping[name])
        for keyword in SCHEMA_LISTS:
            if isinstance(schema.get(keyword), list):
                schema[keyword] = [_as_object(child) for child in schema[keyword]]
                children += schema[keyword]
        for keyword in SCHEMA_VALUES:
            if keyword in schema and not (
                keyword == "additionalProperties" and isinstance(schema[keyword], bool)
            ):
                schema[keyword] = _as_object(schema[keyword])
                children.append(schema[keyword])
        stack.extend(reversed(children))


def _as_object(schema: Any) -> Any:
    """A 2020-12 boolean subschema as 3.0 can write it: `true` is `{}`, `false` is `{not: {}}`."""
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    return schema


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def leftovers(document: dict[str, Any]) -> list[str]:
    """What OpenAPI 3.0 cannot say that is still in `document`, each named by where it is."""
    found = [f"info.{key}" for key in ("summary",) if key in document.get("info", {})]
    found += [f"top-level {key}" for key in ("webhooks", "jsonSchemaDialect") if key in document]
    if "identifier" in document.get("info", {}).get("license", {}):
        found.append("info.license.identifier")
    for schema in _schemas(document):
        label = schema.get("title") or schema.get("description", "")[:40] or json.dumps(schema)[:60]
        found += [f"{keyword} in schema {label!r}" for keyword in ONLY_IN_31 if keyword in schema]
        if schema.get("type") == "null" or isinstance(schema.get("type"), list):
            found.append(f"type {schema['type']!r} in schema {label!r}")
    return found


def schemas_as_31(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a 3.0 `document` whose schemas mean, in JSON Schema 2020-12, what they mean in 3.0
    (`nullable: true` is `anyOf: [the schema, {type: 'null'}]`), for judges that validate with 2020-12
    (the compat gate's wire judge); a 3.1 document is returned as it is."""
    if not str(document.get("openapi", "")).startswith("3.0"):
        return document
    copied: dict[str, Any] = json.loads(json.dumps(document))
    for schema in list(_schemas(copied)):
        if schema.pop("nullable", False) is True:
            rest = dict(schema)
            schema.clear()
            schema["anyOf"] = [rest, {"type": "null"}]
    return copied


def render(document: dict[str, Any], spec: Path = SPEC_PATH) -> str:
    header = (
        f"# OpenAPI {VERSION} rendition of {spec.name} (OpenAPI 3.1), for generators that read only 3.0.\n"
        f"# Generated by `make generate` ({CONVERTER} {converter_version()} --allOf, then\n"
        "# hidream_contract.openapi30); `make check-generated` fails when it is stale. Never edit it by\n"
        "# hand: the 3.1 file is the source. What 3.0 cannot say: docs/interop.md.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hidream_contract.openapi30", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["write", "path"], default="write")
    parser.add_argument("--spec", type=Path, default=SPEC_PATH)
    parser.add_argument("--output", type=Path, default=RENDITION_PATH)
    args = parser.parse_args(argv)
    if args.command == "path":
        print(RENDITION_PATH.relative_to(ROOT))
        return 0
    try:
        text = render(convert(args.spec), args.spec)
    except RenditionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
