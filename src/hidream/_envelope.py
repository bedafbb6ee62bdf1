"""Read the gateway's `code`/`message`/`request_id`/`result` envelope from any response, or raise.

This knows the envelope and HTTP, nothing about any one operation: every endpoint of the gateway
answers this way, so a new endpoint in the spec needs nothing new here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from hidream.errors import (
    AuthenticationError,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
)

SNIPPET_CHARS = 120  # how much of a body that is not the envelope an error message quotes


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _text(content: bytes, redact: Callable[[str], str]) -> tuple[str, bool]:
    """The body as redacted text (so no local variable below ever holds a secret) and whether it was UTF-8."""
    try:
        return redact(content.decode("utf-8")), True
    except UnicodeDecodeError:
        return redact(content.decode("utf-8", errors="replace")), False


def _decode(text: str, utf8: bool) -> tuple[Mapping[str, Any] | None, str]:
    """The envelope if `text` is one, else None and why not."""
    if not text:
        return None, "the body is empty"
    if not utf8:
        return None, "the body is not UTF-8 text"
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, f"the body is not JSON ({type(error).__name__}: {error})"
    if not isinstance(data, dict):
        return None, f"the body is JSON {type(data).__name__}, not an object"
    code = data.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        return None, f"`code` is {code!r}, not an integer"
    if "message" in data and not isinstance(data["message"], str):
        return None, "`message` is not a string"
    if "request_id" in data and not isinstance(data["request_id"], str | None):
        return None, "`request_id` is not a string"
    return data, ""


def _snippet(text: str) -> str:
    return " ".join(text[:SNIPPET_CHARS].split()) + ("…" if len(text) > SNIPPET_CHARS else "")


def read_envelope(
    response: httpx.Response, *, redact: Callable[[str], str] = lambda text: text
) -> dict[str, Any]:
    """The envelope of a successful answer (`code` 0, HTTP 2xx), or the typed error for anything else.

    `redact` is applied to every text taken from the response before it goes into an error.
    """
    status = response.status_code
    text, utf8 = _text(response.content, redact)
    envelope, why_not = _decode(text, utf8)
    code = envelope.get("code") if envelope else None
    message = str(envelope.get("message") or "") if envelope else ""
    request_id = envelope.get("request_id") if envelope else None
    where = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    fields: dict[str, Any] = {"code": code, "request_id": request_id, "http_status": status}

    def described(default: str) -> str:
        if envelope is not None:
            return message or default
        return f"{default}; {why_not}: {_snippet(text)!r}"

    if status in (401, 403):
        raise AuthenticationError(described(f"{where}: the token is missing or was refused"), **fields)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise RateLimitError(described(f"{where}: rate limited"), retry_after=retry_after, **fields)
    if status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if envelope is None:
            raise MalformedServerError(described(f"{where}: server error"), retry_after=retry_after, **fields)
        raise ServerError(described(f"{where}: server error"), retry_after=retry_after, **fields)
    if envelope is None:
        raise MalformedResponseError(described(f"{where}: not the response envelope"), **fields)
    if code != 0:
        raise RejectedRequestError(message or f"{where}: rejected with code {code}", **fields)
    if not 200 <= status < 300:
        raise MalformedResponseError(f"{where}: `code` 0 with a non-2xx status", **fields)
    return dict(envelope)
