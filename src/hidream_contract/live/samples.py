"""The provider's page's two samples, read from the page as it is (openapi/reference/...submit.zh.txt),
so the live check can send them as real clients copy them.

- The curl sample's `-d` body, byte for byte: it ends its object with a trailing comma, so it is not
  strict JSON; whatever the service does with it is recorded (the page shows it as working, the spec
  says the body is JSON).
- The Python sample's headers (`Content-Type`, and `API-User-ID: ''`, an empty user id) and its `data`
  dict, which Python reads despite the trailing comma and sends as `json.dumps(data)`.

Only the token placeholder is replaced (by the run's own Authorization header, at send time).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from hidream_contract.spec import SPEC_PATH

PAGE = SPEC_PATH.parent / "reference" / "image_upscaler_submit.zh.txt"


class PageChanged(Exception):
    """The page no longer has the sample in the shape this reader knows."""


@dataclass(frozen=True)
class CurlSample:
    headers: dict[str, str]  # as written, without Authorization (the run adds its own)
    body: str  # the -d argument, exactly


@dataclass(frozen=True)
class PythonSample:
    headers: dict[str, str]  # as written, without Authorization
    data: dict[str, Any]  # the `data` dict; sent as json.dumps(data)

    @property
    def body(self) -> str:
        return json.dumps(self.data)


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


@cache
def curl_sample() -> CurlSample:
    text = _text()
    found = re.search(r"^curl .*?-d '(?P<body>.*?)' \\$", text, re.MULTILINE | re.DOTALL)
    if found is None:
        raise PageChanged(f"{PAGE.name}: no curl sample with a -d '...' body")
    block = text[found.start() : found.end()]
    headers = dict(re.findall(r"-H '([^:']+):\s*([^']*)'", block))
    headers.pop("Authorization", None)
    return CurlSample(headers, found.group("body"))


@cache
def python_sample() -> PythonSample:
    text = _text()
    head = re.search(r"^headers = (\{.*?^\})", text, re.MULTILINE | re.DOTALL)
    data = re.search(r"^data = (\{.*?^\})", text, re.MULTILINE | re.DOTALL)
    if head is None or data is None:
        raise PageChanged(f"{PAGE.name}: no Python sample with `headers = {{...}}` and `data = {{...}}`")
    pairs = re.findall(r"^\s*'([^']+)':\s*f?'([^']*)'", head.group(1), re.MULTILINE)
    headers = {name: value for name, value in pairs if name != "Authorization"}
    try:
        body = ast.literal_eval(data.group(1))
    except (ValueError, SyntaxError) as exc:
        raise PageChanged(f"{PAGE.name}: the Python sample's data is not a literal ({exc})") from None
    if not isinstance(body, dict):
        raise PageChanged(f"{PAGE.name}: the Python sample's data is not a dict")
    return PythonSample(headers, body)
