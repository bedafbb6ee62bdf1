"""Read the gateway's `code`/`message`/`request_id`/`result` envelope from any response, or raise.

This knows the envelope and HTTP, nothing about any one operation: every endpoint of the gateway
answers this way, so a new endpoint in the spec needs nothing new here.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

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
MAX_TEXT_CHARS: Final = 1000  # how much of the service's `message` an error keeps
# The most of a response body the client reads (the envelope is a few hundred bytes; 1 MiB leaves room
# for operations with larger results). Reading stops there and the answer is judged on what was read.
MAX_RESPONSE_BYTES: Final = 1024 * 1024
_JSON: Final = json.JSONDecoder()


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


class BodyReader:
    """Collects a response body as it arrives, up to `limit` bytes; reading stops there (`complete` False)."""

    __slots__ = ("chunks", "complete", "decoded", "limit", "size")

    def __init__(self, limit: int = MAX_RESPONSE_BYTES) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.limit = limit
        self.complete = True
        self.decoded = False  # True: the transport already undid the Content-Encoding

    def feed(self, chunk: bytes) -> bool:
        """Keep `chunk`; False once the limit is passed (keep nothing beyond it, read no further)."""
        self.size += len(chunk)
        if self.size > self.limit:
            self.chunks.append(chunk[: len(chunk) - (self.size - self.limit)])
            self.complete = False
            return False
        self.chunks.append(chunk)
        return True

    @property
    def content(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


def _decompressed(content: bytes, coding: str | None, limit: int) -> tuple[bytes, str]:
    """The body with its Content-Encoding undone (gzip or deflate, never more than `limit` bytes out),
    and what was wrong, if anything. The client asks for no encoding; a server may send one anyway."""
    codings = [
        c.strip().lower() for c in (coding or "").split(",") if c.strip().lower() not in ("", "identity")
    ]
    for name in reversed(codings):
        if name not in ("gzip", "x-gzip", "deflate"):
            return b"", f"the body is {name!r}-encoded, which the client did not ask for and cannot read"
        attempts = (zlib.MAX_WBITS | 32, -zlib.MAX_WBITS) if name == "deflate" else (zlib.MAX_WBITS | 16,)
        for wbits in attempts:
            try:
                inflater = zlib.decompressobj(wbits)
                out = inflater.decompress(content, limit + 1)
                break
            except zlib.error:
                continue
        else:
            return b"", f"the body is not valid {name}"
        if len(out) > limit:
            return out[:limit], f"the body inflates to more than the limit of {limit} bytes"
        content = out
    return content, ""


def _text(content: bytes, charset: str | None, redact: Callable[[str], str]) -> tuple[str, str]:
    """The body as redacted text (so no local variable below ever holds a secret), and what was odd
    about its encoding: UTF-8 (a BOM is dropped), else the charset the response declares, else UTF-8
    with the undecodable bytes replaced, so an envelope around them can still be read."""
    try:
        return redact(content.decode("utf-8").removeprefix("\ufeff")), ""
    except UnicodeDecodeError:
        pass
    if charset:
        try:
            return redact(content.decode(charset)), ""
        except (LookupError, UnicodeDecodeError):
            pass
    return redact(content.decode("utf-8", errors="replace")), "the body is not UTF-8 text"


def _decode(text: str) -> tuple[Mapping[str, Any] | None, str, str]:
    """The envelope if `text` holds one, else None and why not; and what follows the envelope, if anything."""
    if not text.strip():
        return None, "the body is empty", ""
    try:
        data, end = _JSON.raw_decode(text, len(text) - len(text.lstrip()))
    except ValueError as error:
        return None, f"the body is not JSON ({type(error).__name__}: {error})", ""
    except RecursionError:
        return None, "the body is JSON nested too deeply to read", ""
    extra = "the body has more after the JSON value" if text[end:].strip() else ""
    if not isinstance(data, dict):
        return None, f"the body is JSON {type(data).__name__}, not an object", extra
    code = data.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        return None, f"`code` is {_short(repr(code))}, not an integer", extra
    if "message" in data and not isinstance(data["message"], str):
        return None, "`message` is not a string", extra
    if "request_id" in data and not isinstance(data["request_id"], str | None):
        return None, "`request_id` is not a string", extra
    return data, "", extra


def clean(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """A text from the service made safe to print: control characters and lone surrogates escaped
    (no terminal escape sequences, no UnicodeEncodeError when logged), at most `limit` characters."""
    if len(text) > limit:
        text = text[:limit] + "…"
    if text.isprintable():
        return text
    return "".join(
        char
        if char.isprintable() or char == " "
        else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text
    )


def _short(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"


def _snippet(text: str) -> str:
    return clean(" ".join(text[:SNIPPET_CHARS].split()) + ("…" if len(text) > SNIPPET_CHARS else ""))


def _body_text(
    response: httpx.Response, body: BodyReader | None, redact: Callable[[str], str]
) -> tuple[str, str]:
    """The body as redacted text, and what was odd about it (encoding, size), if anything. The raw
    bytes stay in this frame, which is gone before any error is raised."""
    if body is None or body.decoded:
        content, odd = (response.content if body is None else body.content), ""
    else:
        content, odd = _decompressed(
            body.content, response.headers.get("Content-Encoding"), MAX_RESPONSE_BYTES
        )
    if body is not None and not body.complete:
        odd = f"the body is longer than the limit of {MAX_RESPONSE_BYTES} bytes (reading stopped there)"
    text, encoding_odd = _text(content, response.charset_encoding, redact)
    return text, odd or encoding_odd


def _redacted_header(response: httpx.Response, name: str, redact: Callable[[str], str]) -> str | None:
    """A header's value, redacted and made printable (the raw value never sits in a caller's local)."""
    value = response.headers.get(name)
    return None if value is None else _short(clean(redact(value)))


def read_envelope(
    response: httpx.Response,
    *,
    redact: Callable[[str], str] = lambda text: text,
    body: BodyReader | None = None,
) -> dict[str, Any]:
    """The envelope of a successful answer (`code` 0, HTTP 2xx), or the typed error for anything else.

    `body` is the body as read (default: `response.content`), perhaps cut at `MAX_RESPONSE_BYTES`.
    Whatever it holds, the answer ends as data or a `HiDreamError`, and the envelope's `code`,
    `message` and `request_id` are kept whenever the envelope can be read at all. `redact` is applied
    to every text taken from the response before it goes into an error.
    """
    status = response.status_code
    text, odd = _body_text(response, body, redact)
    envelope, why_not, extra = _decode(text)
    odd = odd or extra
    code = envelope.get("code") if envelope else None
    # Redacted again once decoded: JSON escapes (\/, \u0041) can hide the token from the raw text.
    message = clean(redact(str(envelope.get("message") or ""))) if envelope else ""
    request_id = envelope.get("request_id") if envelope else None
    request_id = clean(redact(request_id)) if isinstance(request_id, str) else None
    where = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    fields: dict[str, Any] = {"code": code, "request_id": request_id, "http_status": status}

    def described(default: str) -> str:
        if envelope is not None:
            return message or default
        return f"{default}; {odd or why_not}: {_snippet(text)!r}"

    if status in (401, 403):
        raise AuthenticationError(described(f"{where}: the token is missing or was refused"), **fields)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise RateLimitError(described(f"{where}: rate limited"), retry_after=retry_after, **fields)
    if 500 <= status < 600:  # a status past 599 has no class: not the answer the spec describes
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if envelope is None:
            raise MalformedServerError(described(f"{where}: server error"), retry_after=retry_after, **fields)
        raise ServerError(described(f"{where}: server error"), retry_after=retry_after, **fields)
    location = _redacted_header(response, "Location", redact)
    if 300 <= status < 400 and location is not None:
        raise MalformedResponseError(
            f"{where}: the service redirects the call to {location!r}; not "
            "followed, so the token and the image go nowhere else (set base_url there if that is where "
            "the API lives)",
            **fields,
        )
    if envelope is None:
        raise MalformedResponseError(described(f"{where}: not the response envelope"), **fields)
    if code != 0:
        raise RejectedRequestError(message or f"{where}: rejected with code {code}", **fields)
    if not 200 <= status < 300:
        raise MalformedResponseError(f"{where}: `code` 0 with a non-2xx status", **fields)
    if odd:
        raise MalformedResponseError(f"{where}: `code` 0, but {odd}", **fields)
    return dict(envelope)
