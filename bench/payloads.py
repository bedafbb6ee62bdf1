"""The request and the answer every client benchmark sends and gets: the spec's own examples."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hidream_contract.spec import load, submit

SUBMIT_PATH = submit().path

TOKEN = "bench-token"  # noqa: S105 - the local server accepts any token; not a secret
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "X-accept-language": "zh",  # what the generated client sends by default
    "Content-Type": "application/json",
}


@cache
def _operation() -> dict[str, Any]:
    spec = load()
    operation: dict[str, Any] = spec["paths"][SUBMIT_PATH]["post"]
    return operation


def request_example() -> dict[str, Any]:
    """The provider's sample request (`imageUrl`)."""
    value: dict[str, Any] = _operation()["requestBody"]["content"]["application/json"]["examples"][
        "imageUrl"
    ]["value"]
    return dict(value)


def accepted_body() -> bytes:
    """The provider's sample success answer (`accepted`), as the bytes a server sends."""
    content = _operation()["responses"]["200"]["content"]["application/json"]
    return json.dumps(content["examples"]["accepted"]["value"], ensure_ascii=False).encode()
