"""hidream_contract.spec is the tooling's one OpenAPI reader: one `$ref` resolver, one Operation."""

from __future__ import annotations

from typing import Any

import pytest

from hidream_contract.spec import (
    SUBMIT_ID,
    RefError,
    flat_schema,
    load,
    operation_in,
    operations,
    operations_in,
    resolve_in,
    submit,
)


def test_resolve_in_follows_a_chain_of_refs_and_unescapes_pointers() -> None:
    document = {
        "components": {"schemas": {"a/b": {"$ref": "#/components/schemas/c~d"}, "c~d": {"type": "string"}}},
    }
    assert resolve_in(document, {"$ref": "#/components/schemas/a~1b"}) == {"type": "string"}
    assert resolve_in(document, {"type": "integer"}) == {"type": "integer"}  # no $ref: itself


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("#/components/schemas/Missing", "points at nothing"),
        ("#/components/schemas/Loop", "only acyclic references inside the document"),
        ("other.yaml#/components/schemas/A", "only acyclic references inside the document"),
    ],
)
def test_resolve_in_names_the_ref_it_cannot_follow(ref: str, message: str) -> None:
    document = {"components": {"schemas": {"Loop": {"$ref": "#/components/schemas/Loop"}}}}
    with pytest.raises(RefError, match=message) as raised:
        resolve_in(document, {"$ref": ref})
    assert repr(ref) in str(raised.value)


def test_the_spec_operations_carry_their_resolved_parameters() -> None:
    spec = load()
    for op in operations():
        definition = spec["paths"][op.path][op.method.lower()]
        assert op.definition == definition
        declared = [resolve_in(spec, p) for p in definition.get("parameters", [])]
        # Each parameter resolved, its schema too (a shared component written out, as flat_schema reads it).
        flat = [{**p, "schema": flat_schema(spec, p["schema"])} if "schema" in p else p for p in declared]
        assert list(op.parameters.values()) == flat
        assert all("allOf" not in p.get("schema", {}) and "$ref" not in p.get("schema", {}) for p in flat)
        assert op.statuses == {int(code) for code in definition["responses"]}


def test_header_parameters_are_the_header_ones_resolved() -> None:
    spec = load()
    declared = [resolve_in(spec, p) for p in spec["paths"][submit().path]["post"]["parameters"]]
    headers = submit().header_parameters()
    assert [p["name"] for p in headers] == [p["name"] for p in declared if p["in"] == "header"]
    assert headers, "the submit declares header parameters"
    assert all("schema" in p and "$ref" not in p for p in headers)


def variant_with_path_parameters() -> dict[str, Any]:
    spec = load()
    item = spec["paths"][submit().path]
    item["parameters"] = [
        {"name": "x-accept-language", "in": "header", "schema": {"type": "string"}, "description": "path"},
        {"name": "trace", "in": "query", "schema": {"type": "string"}},
    ]
    return spec


def test_an_operations_own_parameter_overrides_the_paths_one() -> None:
    """Path-level parameters apply unless the operation redeclares them (same place, same name;
    header names case-insensitively)."""
    op = operation_in(variant_with_path_parameters(), SUBMIT_ID)
    names = [(p["in"], p["name"]) for p in op.parameters.values()]
    assert ("query", "trace") in names
    language = [
        p for p in op.parameters.values() if p["in"] == "header" and p["name"].lower() == "x-accept-language"
    ]
    assert len(language) == 1
    assert language[0].get("description") != "path"


def test_operations_in_reads_a_variant_not_the_file() -> None:
    spec = load()
    spec["paths"]["/extra"] = {"get": {"responses": {"204": {"description": "none"}}}}
    extra = [op for op in operations_in(spec) if op.path == "/extra"]
    assert [(op.method, op.operation_id, op.statuses) for op in extra] == [("GET", "", frozenset({204}))]
    assert all(op.path != "/extra" for op in operations())
    with pytest.raises(KeyError, match="noSuchOperation"):
        operation_in(spec, "noSuchOperation")


def test_flat_schema_writes_out_a_shared_component_beside_its_default() -> None:
    document = {
        "components": {"schemas": {"Lang": {"type": "string", "enum": ["en", "zh"]}}},
    }
    wrapped = {"allOf": [{"$ref": "#/components/schemas/Lang"}], "default": "zh"}
    assert flat_schema(document, wrapped) == {"type": "string", "enum": ["en", "zh"], "default": "zh"}
    # Two members are a real intersection: left as they are.
    two = {"allOf": [{"$ref": "#/components/schemas/Lang"}, {"minLength": 2}]}
    assert flat_schema(document, two) == two
