"""Every copy of a spec fact outside the spec is held to it: when the spec changes, this names each place.

Most of the kit reads the spec (hidream_contract.spec, the generated client and surface). A few places
cannot: the conformance catalog's JSON Schema (the simulator plays an independent service and reads
nothing of ours), the Arazzo workflow (a standalone document for Redocly respect), and the prose of the
guides. Each is registered here with the spec fact it repeats; a spec change that leaves one behind
fails here, naming the file. The TypeScript consumer is held by tsc against the spec's generated types
(make lint, and the compat gate's typescript judge), which is the point of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from hidream_contract.project import ROOT
from hidream_contract.spec import load


def _ratios() -> list[int]:
    values: list[int] = load()["components"]["schemas"]["UpscaleRequest"]["properties"]["upsale_ratio"][
        "enum"
    ]
    return values


def _enums_of(node: Any, key: str) -> Iterator[list[Any]]:
    """Every `enum` under a property named `key`, anywhere in a JSON/YAML document."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, dict) and "enum" in value:
                yield value["enum"]
            yield from _enums_of(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _enums_of(item, key)


@pytest.mark.parametrize(
    "path",
    ["workflows/upscale.arazzo.yaml"],
)
def test_documents_that_restate_the_ratios_restate_the_specs(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    found = list(_enums_of(document, "upsale_ratio"))
    assert found, f"{path} no longer restates upsale_ratio's values: drop it from this register"
    for enum in found:
        assert enum == _ratios(), f"{path} says {enum}; the spec says {_ratios()}: bring it up to date"


def _values(fact: str) -> list[Any]:
    """A fact's allowed values, read from the spec: the body's `upsale_ratio` and `version`, the
    `X-accept-language` header's (a shared component)."""
    spec = load()
    schemas = spec["components"]["schemas"]
    found: list[Any] = {
        "ratio": schemas["UpscaleRequest"]["properties"]["upsale_ratio"]["enum"],
        "version": schemas["UpscaleRequest"]["properties"]["version"]["enum"],
        "language": schemas["AcceptLanguage"]["enum"],
    }[fact]
    return found


def _phrases(values: list[Any]) -> dict[str, str]:
    shown = [str(v) for v in values]
    head = ", ".join(shown[:-1])
    last = shown[-1]
    return {
        "or": f"{head} or {last}" if head else last,
        "and": f"{head} and {last}" if head else last,
        "|": "|".join(shown),
        ",": ", ".join(shown),
        "`/`": "/".join(f"`{v}`" for v in shown),
        "`": f"`{last}`" if not head else ", ".join(f"`{v}`" for v in shown),
    }


# (guide, the fact, the words before the values, how the values are joined): the prose that lists them.
PROSE = [
    ("docs/spec.md", "ratio", "`upsale_ratio` ", "|"),
    ("docs/spec.md", "version", "`version` ", "`"),
    ("docs/simulator.md", "ratio", "`upsale_ratio` ", "or"),
    ("docs/client.md", "ratio", "# ", "or"),
    ("docs/client.md", "ratio", "(allowed: ", ","),
    ("docs/client.md", "language", "`language` other than ", "`/`"),
    ("docs/client.md", "language", "[--language ", "|"),
    ("docs/client.md", "version", "[--model-version ", "|"),
    ("docs/sdk-authors.md", "ratio", "Reject anything but ", "and"),
    ("docs/sdk-authors.md", "version", "string, only ", "`"),
    ("docs/batch.md", "ratio", "`--ratio ", "|"),
    ("src/hidream_sim/catalog.schema.json", "ratio", "also when it is not ", "or"),
    ("src/hidream_sim/catalog.schema.json", "ratio", "what the SDK is asked for: ", "or"),
]


@pytest.mark.parametrize(
    ("path", "fact", "before", "joined"), PROSE, ids=[f"{p}:{f}:{b.strip()}" for p, f, b, _ in PROSE]
)
def test_guides_that_list_allowed_values_list_the_specs(
    path: str, fact: str, before: str, joined: str
) -> None:
    text = " ".join((ROOT / path).read_text(encoding="utf-8").split()).replace("\\|", "|")
    expected = before + _phrases(_values(fact))[joined]
    assert expected in text, f"{path} should say {expected!r} (the spec's values): bring it up to date"


def test_the_register_fails_when_the_spec_gains_a_value() -> None:
    # What the guides' check looks for after a value 8 is added: none of today's texts says it.
    for path, fact, before, joined in PROSE:
        if fact == "ratio":
            phrase = before + _phrases([*_ratios(), 8])[joined]
            assert phrase not in " ".join((ROOT / path).read_text(encoding="utf-8").split())
