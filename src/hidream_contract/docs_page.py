"""What the rendered reference page must hold, read from the page Redocly writes and from the spec.

Redocly CLI 2 writes one HTML file: a prerendered overview, Redoc's script inlined, and the spec itself
embedded as `const __redoc_definition = {...};` for the script to hydrate. The operation's own view is
drawn by that script at the route `#/<tag>/<operationid>`, so the browser check (scripts/docs-browser)
loads that route in Chromium and checks the text it rendered with
`python -m hidream_contract.docs_page DOM_FILE`.
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hidream_contract.spec import SUBMIT_ID, load, operation_in, resolve_in, submit

SUBMIT_PATH = submit().path

_DEFINITION = re.compile(r"const __redoc_definition = ")
_OPTIONS = re.compile(r"const __redoc_options = ")


def _embedded_json(html: str, marker: re.Pattern[str], what: str) -> dict[str, Any]:
    found = marker.search(html)
    if found is None:
        raise ValueError(f"the page embeds no {what} (no {marker.pattern.strip()!r} in it)")
    value, _ = json.JSONDecoder().raw_decode(html, found.end())
    if not isinstance(value, dict):
        raise ValueError(f"the page's {what} is not a JSON object")
    return value


def embedded_definition(html: str) -> dict[str, Any]:
    """The API description the page renders (Redocly embeds it verbatim, as JSON)."""
    return _embedded_json(html, _DEFINITION, "API description")


def embedded_options(html: str) -> dict[str, Any]:
    """The Redoc options baked into the page (telemetry among them)."""
    return _embedded_json(html, _OPTIONS, "Redoc options")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._hidden = 0
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        # Anything the page would fetch to render itself (links a reader may click are fine).
        fetched = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == fetched and value and re.match(r"^(https?:)?//", value):
                self.external.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def visible_text(html: str) -> str:
    """The page's text outside scripts and styles, one space between text nodes."""
    page = _Page()
    page.feed(html)
    return " ".join(page.text)


def external_resources(html: str) -> list[str]:
    """URLs of scripts, stylesheets, images or frames the page would fetch from elsewhere."""
    page = _Page()
    page.feed(html)
    return page.external


def operation(spec: dict[str, Any]) -> dict[str, Any]:
    """The submit's operation object in `spec` (the page's embedded copy, or the spec itself)."""
    return dict(operation_in(spec, SUBMIT_ID).definition)


def parameter_names(spec: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation_in(spec, SUBMIT_ID).parameters.values()]


def body_field_names(spec: dict[str, Any]) -> list[str]:
    content = operation(spec)["requestBody"]["content"]["application/json"]
    return list(resolve_in(spec, content["schema"])["properties"])


def request_examples(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    examples = operation(spec)["requestBody"]["content"]["application/json"]["examples"]
    return {name: resolve_in(spec, ex)["value"] for name, ex in examples.items()}


def operation_route(spec: dict[str, Any]) -> str:
    """Redoc's hash route of the operation: `#/<first tag>/<operationId lower-cased>`."""
    op = operation(spec)
    return f"#/{op['tags'][0].lower()}/{op['operationId'].lower()}"


def rendered_operation_phrases(spec: dict[str, Any]) -> list[str]:
    """What a reader must see on the operation's rendered view: summary, method and path, every
    parameter and body field, and the default (first) request example's image."""
    op = operation(spec)
    first_example = next(iter(request_examples(spec).values()))
    return [
        op["summary"],
        SUBMIT_PATH,
        *parameter_names(spec),
        *body_field_names(spec),
        json.dumps(first_example["image"]),
    ]


def missing_from_rendered(dom_html: str, spec: dict[str, Any]) -> list[str]:
    text = visible_text(dom_html)
    return [phrase for phrase in rendered_operation_phrases(spec) if phrase not in text]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m hidream_contract.docs_page DOM_FILE  (a --dump-dom of the operation's route)")
        return 2
    dom = Path(argv[0]).read_text(encoding="utf-8")
    missing = missing_from_rendered(dom, load())
    if missing:
        print("error: the page Chromium rendered does not show: " + ", ".join(map(repr, missing)))
        return 1
    print(f"the rendered operation view shows all {len(rendered_operation_phrases(load()))} phrases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
