"""The cassette of a live run: every request the guard sent and every answer it got, as HAR 1.2.

The guard (guard.py) hands every send to `Recorder.send` (its one hook), retries and lost answers
included: one HAR entry per attempt. After the run, `Recorder.har` builds the document and `write`
puts it beside the drift report (`reports/live-cassette.har`), with the observed catalog
(observed.py). Why HAR and not a VCR cassette: docs/live-check.md ("What a run keeps").

What an entry holds, and what it never holds:
- the token, in no form: every string (URL, header values, bodies, notes) passes through the run's
  redaction (`hidream.Secret.redact`: raw, escaped, percent- and base64-encoded), and so does the
  whole document's text once more before it is written; the account's `Authorization` header reads
  `Bearer [REDACTED]`;
- no image: a long string inside a JSON body (a base64 image) becomes a marker with its kind, size
  and digest (`hidream_sim.replay.summarise_json`, the rule replay matches by), and an answer that is
  not text (an image) keeps its size, type and digest in `content.comment`, not its bytes;
- bounded size: a text body is kept up to MAX_TEXT_CHARS (the guard reads at most 1 MiB; an envelope
  is under 1 KiB), and once the document's bodies pass MAX_BODY_CHARS in all, later bodies are
  summarised too (the entry, its status and headers stay).

Each entry names the step that sent it (`_probe`: the probe, "schemathesis negative case", the
undeclared method or the result read) and its attempt number, and a lost answer is an entry with
status 0 and `_error`, as browsers write one.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from hidream_contract.live import observed
from hidream_contract.live.findings import LiveResult
from hidream_contract.live.probes import INVALID_TOKEN
from hidream_contract.live.settings import LiveSettings
from hidream_contract.live.surface import Sent
from hidream_sim.replay import image_kind, summarise_json, summarise_string

CASSETTE_NAME = "live-cassette.har"
REPORT_NAME = "live-drift-report.md"  # report.write's file: the catalog's table is added to it
HAR_VERSION = "1.2"
MAX_TEXT_CHARS = 64 * 1024  # one body kept as text up to this
MAX_BODY_CHARS = 2 * 1024 * 1024  # all bodies of one cassette; past it, bodies are summarised
CREATOR = "hidream-contract live check"
FUZZ_LABEL = "schemathesis negative case"


@dataclass
class _Take:
    """One attempt as the guard sent it; the answer's body is read once the guard has read it."""

    started: datetime
    seconds: float
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None
    response: requests.Response | None
    request: requests.PreparedRequest  # the guard resends the same object: how retries are counted
    error: str = ""


class Recorder:
    """What the guard's transport calls for every send (guard.GuardedAdapter.recorder)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._takes: list[_Take] = []
        self._lock = threading.Lock()
        self._clock = clock

    def __len__(self) -> int:
        return len(self._takes)

    def send(
        self, request: requests.PreparedRequest, transport: Callable[[], requests.Response]
    ) -> requests.Response:
        """Send through `transport`, keeping the request and the answer (or why none came)."""
        started, start = datetime.now(UTC), self._clock()
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        take = _Take(
            started,
            0.0,
            str(request.method),
            str(request.url),
            list(request.headers.items()),
            body if isinstance(body, bytes) else None,
            None,
            request,
        )
        with self._lock:
            self._takes.append(take)
        try:
            take.response = transport()
        except BaseException as exc:
            take.error = type(exc).__name__
            raise
        finally:
            take.seconds = self._clock() - start
        return take.response

    def har(self, redact: Callable[[str], str], sent: list[Sent] | None = None) -> dict[str, Any]:
        """The HAR document of everything recorded, every string redacted, bodies summarised."""
        budget = _Budget(MAX_BODY_CHARS)
        entries = []
        with self._lock:
            takes = list(self._takes)
        for index, take in enumerate(takes):
            attempt = 1 + sum(1 for earlier in takes[:index] if earlier.request is take.request)
            entries.append(_entry(take, probe_of(take, sent or []), attempt, budget, redact))
        return {
            "log": {
                "version": HAR_VERSION,
                "creator": {"name": CREATOR, "version": "1"},
                "comment": "the token and every form of it redacted; image bodies summarised (sha256, size)",
                "entries": entries,
            }
        }


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True


def _redact_body(text: str, redact: Callable[[str], str]) -> str:
    """A body's text redacted, and, when it is JSON, every string inside it too (decoded first): a
    service that echoes an escaped form of the token inside JSON escapes it once more, a form the text
    alone does not show."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return redact(text)
    cleaned = _redact_all(parsed, redact)
    return redact(text) if cleaned == parsed else json.dumps(cleaned, ensure_ascii=False)


def _redact_all(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_all(item, redact) for item in value]
    if isinstance(value, dict):
        return {redact(str(k)): _redact_all(v, redact) for k, v in value.items()}
    return value


def _request_text(body: bytes | None) -> str | None:
    """The request body as kept: JSON with long strings summarised, else the text (summarised if long)."""
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return summarise_string(text)
    if summarise_json(parsed) == parsed:
        return text  # byte for byte, as sent
    return json.dumps(summarise_json(parsed), ensure_ascii=False)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _content(response: requests.Response, budget: _Budget) -> dict[str, Any]:
    """content{size, mimeType, text?, comment?}: text when it is text and fits, else a summary."""
    mime = response.headers.get("Content-Type", "")
    data = response._content if isinstance(response._content, bytes) else None  # what the guard read
    if data is None:
        return {"size": -1, "mimeType": mime, "comment": "the body could not be read (the answer was lost)"}
    content: dict[str, Any] = {"size": len(data), "mimeType": mime}
    kind = image_kind(data)
    try:
        text = None if kind else data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        what = f"{kind} image" if kind else "binary body"
        content["comment"] = f"summarised: {what}, {len(data)} bytes, sha256 {_digest(data)} (not stored)"
    elif len(text) > MAX_TEXT_CHARS or not budget.take(len(text)):
        content["comment"] = (
            f"summarised: text, {len(text)} characters, sha256 {_digest(data)} (over the cassette's bound)"
        )
    else:
        content["text"] = text
    return content


def _entry(
    take: _Take, label: str, attempt: int, budget: _Budget, redact: Callable[[str], str]
) -> dict[str, Any]:
    parts = urlsplit(take.url)
    request: dict[str, Any] = {
        "method": take.method,
        "url": take.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": n, "value": v} for n, v in take.headers],
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(parts.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(take.body or b""),
    }
    text = _request_text(take.body)
    if text is not None:
        request["postData"] = {"mimeType": dict(take.headers).get("Content-Type", ""), "text": text}
    wait_ms = round(take.seconds * 1000, 3)
    response_part: dict[str, Any]
    if take.response is None:
        response_part = {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "", "comment": "no answer came"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": take.error or "no answer",
        }
    else:
        response = take.response
        status = response.status_code
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        response_part = {
            "status": status,
            "statusText": response.reason or reason,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": n, "value": v} for n, v in response.headers.items()],
            "content": _content(response, budget),
            "redirectURL": response.headers.get("Location", ""),
            "headersSize": -1,
            "bodySize": len(response._content) if isinstance(response._content, bytes) else -1,
        }
    entry = {
        "startedDateTime": take.started.isoformat().replace("+00:00", "Z"),
        "time": wait_ms,
        "request": request,
        "response": response_part,
        "cache": {},
        "timings": {"send": 0, "wait": wait_ms, "receive": 0},
        "_probe": label,
        "_attempt": attempt,
    }
    for part in (request.get("postData"), response_part["content"]):
        if part is not None and isinstance(part.get("text"), str):
            part["text"] = _redact_body(part["text"], redact)
    redacted: dict[str, Any] = _redact_all(entry, redact)
    return redacted


def probe_of(take: Any, sent: list[Sent]) -> str:
    """Which step of the run sent this request: a planned probe (matched by its body, headers and
    token), an undeclared method, a result read, or else one of schemathesis' negative cases."""
    method, url = take.method, take.url
    parts = urlsplit(url)
    headers = {n.lower(): v for n, v in take.headers}
    if method == "GET" and parts.path.endswith("/results"):
        if "authorization" not in headers:
            return "result read without the token"
        return "result read of an unknown task_id" if "task_id=unknown-" in parts.query else "result read"
    if method != "POST":
        return f"{method} (undeclared)"
    body = _lenient_json(take.body)
    for candidate in sent:
        if candidate.body != body:
            continue
        wanted = {k: v for k, v in candidate.headers.items() if k != "authorization"}
        if any(headers.get(k) != v for k, v in wanted.items()):
            continue
        auth = candidate.headers.get("authorization")
        if (auth is None) != ("authorization" not in headers):
            continue
        if auth == "(another token)" and INVALID_TOKEN not in headers.get("authorization", ""):
            continue
        if auth == "(the account's token)" and INVALID_TOKEN in headers.get("authorization", ""):
            continue
        return candidate.probe
    return FUZZ_LABEL


def _lenient_json(body: bytes | None) -> Any:
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    for attempt in (text, re.sub(r",(\s*[}\]])", r"\1", text)):
        try:
            return json.loads(attempt)
        except ValueError:
            continue
    return None


def write(har: dict[str, Any], reports: Path, redact: Callable[[str], str]) -> Path:
    """The cassette beside the drift report; the whole text redacted once more."""
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / CASSETTE_NAME
    path.write_text(redact(json.dumps(har, ensure_ascii=False, indent=1)) + "\n", encoding="utf-8")
    return path


def record(adapter: Any) -> Recorder:
    """A recorder hooked into the run's guard (its transport sees every attempt)."""
    recorder = Recorder()
    adapter.recorder = recorder
    return recorder


def keep(
    recorder: Recorder,
    outcome: LiveResult,
    config: LiveSettings,
    reports: Path,
    redact: Callable[[str], str],
    *,
    today: str | None = None,
) -> str:
    """Write the cassette and the observed catalog beside the report, and the catalog's table into
    the report; the summary's line about them. Never changes the verdict: a failure here is said,
    not raised."""
    try:
        har = recorder.har(redact, outcome.sent)
        cassette_path = write(har, reports, redact)
        date = today or datetime.now(UTC).date().isoformat()
        found = observed.catalog(har, observed_on=date, base_url=config.base_url)
        catalog_path = observed.write(found, reports, redact)
        report_path = reports / REPORT_NAME
        if report_path.exists():
            text = report_path.read_text(encoding="utf-8").rstrip("\n")
            report_path.write_text(redact(text + "\n\n" + observed.table(found)), encoding="utf-8")
    except Exception as exc:  # a bug of ours must not hide the verdict, nor print the token
        return f"    cassette not written: internal error: {type(exc).__name__}: {redact(str(exc))}"
    return (
        f"    cassette: {cassette_path} ({len(har['log']['entries'])} exchanges); observed rejections: "
        f"{catalog_path} ({len(found['rejections'])})"
    )
