"""Replay: the simulator serves a cassette (a HAR 1.2 file) instead of its own behaviour.

    from hidream_sim import simulator
    with simulator(replay="reports/live-cassette.har") as sim:   # or `hidream-sim --replay FILE`
        ...                                   # the same request gets the answer recorded for it

The mapping from a request to its recorded answer is data (`Cassette.answer`), independent of the
HTTP server that carries it. A request is identified by its **key**: the method, the path (the host is
not part of it: the cassette was recorded against the real service), the query, the headers that mean
something to the service (every header but transport noise such as User-Agent, Accept, Content-Type),
and the body as canonical JSON (keys sorted), with a base64 image or any long string summarised
exactly as the recorder summarised them (`summarise_json`), and a `request_id` matched by presence
(a client makes a fresh one per call). The account's token is recorded as
`Bearer [REDACTED]`; a request carrying the simulator's own token is read as that, so a client given
any token the simulator accepts replays the account's answers.

The same request asked again gets the next answer recorded for it (a 502 then a 200 replays as a 502
then a 200); past the last, the last again. A request the cassette lacks gets HTTP 404 with an error
envelope (`code` -1) whose `message` says "not recorded" and names the closest recorded request (and
what differs), and the header `X-Sim-Replay: not-recorded`; a replayed answer carries
`X-Sim-Replay: recorded`. A body the recorder summarised (an image) replays as an empty body with
`X-Sim-Replay: body-not-recorded`.

This module is the one place the cassette's matching rules live: the recorder
(hidream_contract.live.cassette) summarises with `summarise_json` so the two agree. Standard library
only: the simulator imports nothing of ours.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import json
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REDACTED = "[REDACTED]"
REPLAY_HEADER = "X-Sim-Replay"
SUMMARY_MIN_CHARS = 512  # a JSON string this long is summarised; envelopes are far shorter
IMAGE_MIN_CHARS = 16  # a string this long that decodes (base64) to an image is summarised, whatever its size
# Body fields a client fills afresh on every call: matched by presence, not value.
FRESH_FIELDS = frozenset({"request_id"})
NOT_RECORDED_STATUS = 404
NOT_RECORDED_CODE = -1
# Headers that say nothing to the service about the request (set by every HTTP library its own way).
NOISE_HEADERS = frozenset(
    {
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "content-type",
        "host",
        "x-sim-scenario",
        "x-sim-replay",
    }
)
# Recorded answer headers the simulator's HTTP layer sets itself.
OWN_HEADERS = frozenset(
    {"content-length", "content-type", "transfer-encoding", "connection", "date", "server"}
)
IMAGE_KINDS = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def image_kind(data: bytes) -> str | None:
    for magic, name in IMAGE_KINDS:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def summarise_string(value: str) -> str:
    """A base64 image, or any long string, as a short, stable marker: its kind, size and digest."""
    try:
        decoded = base64.b64decode(value, validate=True) if len(value) >= IMAGE_MIN_CHARS else b""
    except (binascii.Error, ValueError):
        decoded = b""
    kind = image_kind(decoded)
    if kind is not None:
        return f"<summarised: base64 {kind} image, {len(decoded)} bytes, sha256 {_digest(decoded)}>"
    if len(value) < SUMMARY_MIN_CHARS:
        return value
    raw = value.encode("utf-8", "surrogatepass")
    return f"<summarised: text, {len(value)} characters, sha256 {_digest(raw)}>"


def summarise_json(value: Any) -> Any:
    """`value` with every long string summarised (`summarise_string`), recursively."""
    if isinstance(value, str):
        return summarise_string(value)
    if isinstance(value, list):
        return [summarise_json(item) for item in value]
    if isinstance(value, dict):
        return {key: summarise_json(item) for key, item in value.items()}
    return value


def canonical_body(body: bytes | str | None) -> str:
    """The body as the key sees it: canonical JSON with long strings summarised, else the text (a
    long one summarised), else ''."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        return summarise_string(text)
    if isinstance(parsed, dict):
        parsed = {k: (f"<{k}>" if k in FRESH_FIELDS and isinstance(v, str) else v) for k, v in parsed.items()}
    return json.dumps(summarise_json(parsed), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class RequestKey:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: str

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        head = ", ".join(f"{k}: {v}" for k, v in self.headers) or "no headers"
        body = self.body if len(self.body) <= 160 else self.body[:157] + "..."
        return f"{self.method} {self.path}{'?' + query if query else ''} [{head}] body {body or '(none)'}"

    def differences(self, other: RequestKey) -> list[str]:
        """Which parts of the request differ from `other`'s (for the "not recorded" message)."""
        parts = ("method", "path", "query", "headers", "body")
        return [name for name in parts if getattr(self, name) != getattr(other, name)]


def request_key(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes | str | None,
    *,
    token: str | None = None,
) -> RequestKey:
    """The key of a request. `url` may be a full URL or a path with its query; `token`: the token the
    simulator accepts (its Authorization header is read as the recorded `Bearer [REDACTED]`)."""
    parts = urlsplit(url)
    kept = []
    for name, value in headers:
        lower = name.lower()
        if lower in NOISE_HEADERS or lower.startswith("x-schemathesis"):
            continue
        if lower == "authorization" and token and value == f"Bearer {token}":
            value = f"Bearer {REDACTED}"
        kept.append((lower, value))
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return RequestKey(method.upper(), parts.path or "/", query, tuple(sorted(kept)), canonical_body(body))


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    headers: tuple[tuple[str, str], ...]  # besides Content-Type (the HTTP layer sets length, date)
    body: bytes
    recorded: bool


@dataclass
class Recorded:
    key: RequestKey
    probe: str
    status: int
    headers: tuple[tuple[str, str], ...]
    content_type: str
    body: bytes | None  # None: the recorder summarised it (or no answer came)
    lost: bool  # no answer came (status 0 in the HAR): replayed as a 502 without a body


def _pairs(items: Any) -> list[tuple[str, str]]:
    return [(str(item["name"]), str(item["value"])) for item in items or []]


class CassetteError(ValueError):
    """The file is not a cassette this module can replay; the message says why."""


@dataclass
class Cassette:
    entries: list[Recorded]
    token: str | None = None  # the token the simulator accepts (set by the server)
    _by_key: dict[RequestKey, list[Recorded]] = field(default_factory=dict, repr=False)
    _asked: dict[RequestKey, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._by_key.setdefault(entry.key, []).append(entry)

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CassetteError(f"{path}: cannot read a HAR cassette ({type(exc).__name__}: {exc})") from None
        return cls.from_har(document, source=str(path))

    @classmethod
    def from_har(cls, document: Any, *, source: str = "the cassette") -> Cassette:
        try:
            raw_entries = document["log"]["entries"]
            return cls([_recorded(entry) for entry in raw_entries])
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{source}: not a HAR 1.2 cassette ({type(exc).__name__}: {exc})") from None

    def answer(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes | str | None
    ) -> Answer:
        """The recorded answer to this request (the next one, when it was recorded more than once),
        or the "not recorded" answer naming the closest recorded request."""
        key = request_key(method, url, headers, body, token=self.token)
        with self._lock:
            found = self._by_key.get(key)
            if found:
                index = min(self._asked.get(key, 0), len(found) - 1)
                self._asked[key] = self._asked.get(key, 0) + 1
                return _replayed(found[index])
        return self._not_recorded(key)

    def closest(self, key: RequestKey) -> Recorded | None:
        """The recorded request most like `key`: the same method and path first, then by text."""
        if not self.entries:
            return None
        wanted = key.describe()

        def score(entry: Recorded) -> tuple[int, float]:
            same = (entry.key.method, entry.key.path) == (key.method, key.path)
            return int(same), difflib.SequenceMatcher(None, wanted, entry.key.describe()).ratio()

        return max(self.entries, key=score)

    def _not_recorded(self, key: RequestKey) -> Answer:
        near = self.closest(key)
        if near is None:
            message = f"not recorded: {key.describe()}; the cassette is empty"
        else:
            differs = ", ".join(key.differences(near.key)) or "nothing"
            probe = f" (probe {near.probe!r})" if near.probe else ""
            message = (
                f"not recorded: {key.describe()}; closest recorded: {near.key.describe()}{probe}; "
                f"differs in: {differs}"
            )
        envelope = {"code": NOT_RECORDED_CODE, "message": message, "request_id": str(uuid.uuid4())}
        return Answer(
            NOT_RECORDED_STATUS,
            "application/json",
            ((REPLAY_HEADER, "not-recorded"),),
            json.dumps(envelope, ensure_ascii=False).encode("utf-8"),
            recorded=False,
        )


def _recorded(entry: Mapping[str, Any]) -> Recorded:
    request, response = entry["request"], entry["response"]
    post = request.get("postData") or {}
    key = request_key(request["method"], request["url"], _pairs(request.get("headers")), post.get("text"))
    content = response.get("content") or {}
    text = content.get("text")
    if text is not None and content.get("encoding") == "base64":
        body: bytes | None = base64.b64decode(text)
    else:
        body = None if text is None else str(text).encode("utf-8")
    status = int(response["status"])
    return Recorded(
        key=key,
        probe=str(entry.get("_probe", "")),
        status=status,
        headers=tuple(
            (n, v)
            for n, v in _pairs(response.get("headers"))
            if n.lower() not in (OWN_HEADERS | NOISE_HEADERS)
        ),
        content_type=str(content.get("mimeType") or "application/octet-stream"),
        body=body,
        lost=status == 0,
    )


def _replayed(entry: Recorded) -> Answer:
    if entry.lost:  # the live check got no answer: a gateway error is the nearest an HTTP server can say
        return Answer(502, "text/plain", ((REPLAY_HEADER, "lost"),), b"", recorded=True)
    marker = "recorded" if entry.body is not None else "body-not-recorded"
    return Answer(
        entry.status,
        entry.content_type,
        (*entry.headers, (REPLAY_HEADER, marker)),
        entry.body or b"",
        recorded=True,
    )
