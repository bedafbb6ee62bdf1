"""Read the gateway's `code`/`message`/`request_id`/`result` envelope from any response, or raise.

This knows the envelope and HTTP, nothing about any one operation: every endpoint of the gateway
answers this way, so a new endpoint in the spec needs nothing new here.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
ENVELOPE_KEYS: Final = frozenset({"code", "message", "request_id", "result"})


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


def _text(content: bytes, charset: str | None) -> tuple[str, str]:
    """The body as text, and what was odd about its encoding: UTF-8 (a BOM is dropped), else the
    charset the response declares, else UTF-8 with the undecodable bytes replaced, so an envelope
    around them can still be read."""
    try:
        return content.decode("utf-8").removeprefix("\ufeff"), ""
    except UnicodeDecodeError:
        pass
    if charset:
        try:
            return content.decode(charset), ""
        except (LookupError, UnicodeDecodeError):
            pass
    return content.decode("utf-8", errors="replace"), "the body is not UTF-8 text"


_JSON_ESCAPE: Final = re.compile(r"\\u([0-9a-fA-F]{4})|\\([/\\\"])")


def _unescaped(text: str) -> str:
    """`text` with JSON's `\\uXXXX` and `\\/` escapes undone, so redaction sees what a parser would."""
    if "\\" not in text:
        return text
    return _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else m[2], text)


def redacted_tree(value: Any, redact: Callable[[str], str], keep: frozenset[str] = frozenset()) -> Any:
    """A decoded JSON value with `redact` applied to every string in it, keys included, except the
    keys in `keep` (the names the spec gives its fields: a token that happens to equal one must not
    break a valid answer, and such a key reveals nothing the spec does not say)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            (redact(key) if isinstance(key, str) and key not in keep else key): redacted_tree(
                item, redact, keep
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted_tree(item, redact, keep) for item in value]
    return value


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


@dataclass(frozen=True)
class _Read:
    """What a body says, every text in it redacted: the envelope (or None and why not), what was odd,
    the text for a snippet, and a task id seen in a body that was cut at the limit."""

    envelope: Mapping[str, Any] | None
    why_not: str
    odd: str
    text: str
    seen_id: str | None


def _read(
    response: httpx.Response,
    body: BodyReader | None,
    redact: Callable[[str], str],
    id_key: str | None,
    keep: frozenset[str],
) -> _Read:
    """The body decoded first, then redacted (so a token in it, escaped or not, never breaks a valid
    answer and never survives). The raw text stays in this frame, gone before any error is raised."""
    if body is None or body.decoded:
        content, odd = (response.content if body is None else body.content), ""
    else:
        content, odd = _decompressed(
            body.content, response.headers.get("Content-Encoding"), MAX_RESPONSE_BYTES
        )
    cut = body is not None and not body.complete
    if cut:
        odd = f"the body is longer than the limit of {MAX_RESPONSE_BYTES} bytes (reading stopped there)"
    raw, encoding_odd = _text(content, response.charset_encoding)
    data, why_not, extra = _decode(raw)
    odd = odd or encoding_odd or extra
    envelope = None
    if data is not None:
        if "\\" not in raw and "%" not in raw and redact(raw) == raw:
            # No escape can hide the token and none of its forms is in the text: neither is it in
            # any string decoded from it (each is a piece of the text), so nothing to walk.
            envelope = data
        else:
            try:
                envelope = redacted_tree(data, redact, keep)
            except RecursionError:
                why_not = "the body is JSON nested too deeply to read"
    pattern = rf'"{re.escape(id_key)}"\s*:\s*"([^"\\]{{1,200}})"' if id_key else None
    seen = re.search(pattern, raw) if cut and pattern else None
    success = envelope is not None and not odd and 200 <= response.status_code < 300
    return _Read(
        envelope=envelope,
        why_not=why_not,
        odd=odd,
        text="" if success else redact(_unescaped(raw[: SNIPPET_CHARS * 8])),
        seen_id=clean(redact(_unescaped(seen[1])), SNIPPET_CHARS) if seen else None,
    )


def _redacted_header(response: httpx.Response, name: str, redact: Callable[[str], str]) -> str | None:
    """A header's value, redacted and made printable (the raw value never sits in a caller's local)."""
    value = response.headers.get(name)
    return None if value is None else _short(clean(redact(value)))


def read_envelope(
    response: httpx.Response,
    *,
    redact: Callable[[str], str] = lambda text: text,
    body: BodyReader | None = None,
    creates: str | None = None,
    keep_keys: frozenset[str] = ENVELOPE_KEYS,
) -> dict[str, Any]:
    """The envelope of a successful answer (`code` 0, HTTP 2xx), or the typed error for anything else.

    `body` is the body as read (default: `response.content`), perhaps cut at `MAX_RESPONSE_BYTES`.
    Whatever it holds, the answer ends as data or a `HiDreamError`, and the envelope's `code`,
    `message` and `request_id` are kept whenever the envelope can be read at all. `redact` is applied
    to every text of the decoded answer, success included, and to every text that goes into an error.
    `creates`: the request creates a (paid) thing whose id the answer names under this key; an answer
    that cannot be read then says one may have been created, and its id if what was read shows it.
    `keep_keys`: the field names that redaction leaves alone (see `redacted_tree`).
    """
    status = response.status_code
    read = _read(response, body, redact, creates, keep_keys)
    envelope, why_not, odd, text = read.envelope, read.why_not, read.odd, read.text
    code = envelope.get("code") if envelope else None
    message = clean(str(envelope.get("message") or "")) if envelope else ""
    request_id = envelope.get("request_id") if envelope else None
    request_id = clean(request_id) if isinstance(request_id, str) else None
    where = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    fields: dict[str, Any] = {"code": code, "request_id": request_id, "http_status": status}

    # Said of a 2xx to a request that creates a task: the task may exist although the answer is unusable.
    maybe_task = (
        "; a task may have been created all the same"
        + (f" (the body names {creates} {read.seen_id!r})" if read.seen_id else "")
        if creates and 200 <= status < 300
        else ""
    )

    def described(default: str) -> str:
        if envelope is not None:
            return message or default
        return f"{default}; {odd or why_not}: {_snippet(text)!r}{maybe_task}"

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
        raise MalformedResponseError(f"{where}: `code` 0, but {odd}{maybe_task}", **fields)
    return dict(envelope)
