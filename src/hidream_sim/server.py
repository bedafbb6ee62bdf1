"""The HiDream simulator: the upscale endpoint's documented behaviour, plus scenarios (drift and faults).

Hand-written from the provider's page, never from our spec (it imports nothing of ours), so it can
disagree with the spec: that is how the live check's tests see drift. It serves
`POST {PREFIX}/image/image_upscaler/async` on 127.0.0.1 the way the provider's page
(openapi/reference/image_upscaler_submit.zh.txt) describes it:

- `Authorization: Bearer <token>` is checked first; a missing or other token gets 401 with
  `WWW-Authenticate: Bearer` and an error envelope.
- The body must be a JSON object: `image` a non-empty string that is an http(s) URL of an image
  (the real service fetches it; the stand-in cannot reach the internet, so it "fetches" any URL
  whose path ends in .png/.jpg/.jpeg/.webp) or base64 that decodes to a PNG, JPEG or WebP;
  `upsale_ratio` an integer 2 or 4; `version`, if sent, "v1"; `notify_url` and `request_id`,
  if sent, strings. Unknown fields and unsupported `X-accept-language` values are ignored
  (the documentation is silent about them).
- Every answer is the `code`/`message`/`request_id`/`result` envelope: code 0 with
  `result{task_id, sub_task_ids}` on acceptance, a non-zero code on rejection, sent with HTTP 200
  as the provider's own sample implies.
- Other methods on the path get 405 with `Allow: POST`; other paths 404.

A scenario switches one behaviour. `MODES` lists the service variations the live check must judge
(faithful, harmless, drift, outage; tests/live/test_contract_live.py says which must pass and which must be
reported as drift); `FAULTS` the faults an SDK must survive (kind "fault": rate limits, blips, slow
answers, failing or endless tasks, an echoed token); `SCENARIOS` is both. A scenario is chosen for the
whole server, or per request with the header `X-Sim-Scenario: NAME` or the path prefix
`/_sim/NAME` before the base path (`Simulator.url_for(NAME)`), for SDKs that only take a base URL.
A task keeps the scenario it was created under for its result reads.
`accepted_tasks` counts every task the stand-in created, also those whose answer it then lost
(the gateway and reset modes); `billed_tasks` only those whose request carried the account's token
(what a real service could bill: a drifted one that lets requests without it through bills nobody).
"""

from __future__ import annotations

import base64
import binascii
import html
import ipaddress
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

from hidream_sim import results
from hidream_sim.observed import ObservedCodes, about_problem
from hidream_sim.replay import Cassette

PREFIX = "/api-pub/gw/v3"
OPERATION_PATH = "/image/image_upscaler/async"
MOVED_PREFIX = "/api-pub/gw/v4"  # where the moved-308 mode sends clients (and serves the operation)
GATEWAY_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
DEFAULT_TOKEN = "standin-token"  # noqa: S105 (a test token, no account has it)
SCENARIO_HEADER = "X-Sim-Scenario"
CALLBACK_SINK = "/_sim-callbacks"  # a notify_url receiver of the simulator's own (answers 204)
SCENARIO_PATH = "/_sim/"  # /_sim/NAME/api-pub/gw/v3/...: the scenario NAME for this request
DEFAULT_SLOW_SECONDS = 2.0  # how long the slow and drip scenarios take to answer
CALLBACK_TIMEOUT_S = 5.0
MAX_BODY_BYTES = 10 * 1024 * 1024

# Error codes of the stand-in's own choosing: the provider publishes none.
CODE_INVALID_PARAMETER = 1001
CODE_UNAUTHORIZED = 401
CODE_NOT_FOUND = 404
CODE_METHOD_NOT_ALLOWED = 405
CODE_INTERNAL = 500

NO_CHALLENGE = ("bare-token", "api-key-scheme")  # modes whose 401 has no WWW-Authenticate (as most gateways)
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
IMAGE_URL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class Mode:
    kind: str  # "faithful", "harmless" (the spec still holds), "drift" (it does not), "outage"
    description: str


MODES: dict[str, Mode] = {
    "faithful": Mode("faithful", "behaves as the documentation says"),
    # Variations the spec allows: a correct check passes them.
    "reject-400": Mode("harmless", "rejections are sent as HTTP 400 (still an error envelope)"),
    "auth-envelope": Mode("harmless", "a refused token is answered HTTP 200 with code 401"),
    "extra-result-field": Mode(
        "harmless", "an undocumented field in `result` and in the envelope (of rejections too)"
    ),
    "json-charset": Mode("harmless", "Content-Type: application/json; charset=utf-8"),
    "strict-language": Mode("harmless", "an unsupported X-accept-language value is rejected"),
    "strict-fields": Mode("harmless", "unknown body fields are rejected"),
    "flaky-429": Mode("harmless", "every other request is answered 429 with Retry-After: 0"),
    "echo-auth": Mode(
        "harmless", "rejection messages quote the Authorization header received (a leaky service)"
    ),
    "echo-auth-forms": Mode(
        "harmless",
        "every message, and a header, quotes the Authorization header in every escaped form "
        "(raw, JSON, percent, HTML, backslash, base64)",
    ),
    # Drift: the service no longer matches the spec.
    "rename-task-id": Mode("drift", "`result.task_id` is sent as `result.taskId`"),
    "retype-sub-task-ids": Mode("drift", "`result.sub_task_ids` is a string, not a list"),
    "retype-code": Mode("drift", '`code` is the string "0" on success'),
    "missing-request-id": Mode("drift", "the success envelope has no `request_id`"),
    "missing-result": Mode("drift", "the success envelope has no `result`"),
    "error-code-string": Mode("drift", "rejections carry `code` as a string"),
    "refuse-ratio-4": Mode("drift", "`upsale_ratio` 4 is refused (the spec allows 2 and 4)"),
    "refuse-base64": Mode("drift", "a base64 `image` is refused (only URLs are accepted)"),
    "accept-any-ratio": Mode("drift", "any positive `upsale_ratio` is accepted (the spec allows 2|4)"),
    "accept-any-version": Mode("drift", "any `version` string is accepted (the spec allows v1)"),
    "optional-ratio": Mode("drift", "a missing `upsale_ratio` is accepted as 2 (the spec requires it)"),
    "ignore-auth": Mode("drift", "the token is not checked at all"),
    "ignore-bad-token": Mode("drift", "any bearer token is accepted (a missing one is still refused)"),
    "wrong-content-type": Mode("drift", "answers are labelled text/plain"),
    "new-required-field": Mode(
        "drift", "a new required body field `model` (requests without it are refused)"
    ),
    "status-201": Mode("drift", "an accepted task is answered with HTTP 201"),
    "rejection-500": Mode("drift", "invalid bodies crash the service: HTTP 500"),
    "accept-anything": Mode(
        "drift",
        "every request with the token is accepted as a task, whatever its body (with or without an image)",
    ),
    "accept-imageless": Mode("drift", "a body without a usable `image` is accepted as a task"),
    "refuse-notify-url": Mode("drift", "fails only when the optional `notify_url` is present"),
    "refuse-api-user-id": Mode("drift", "fails only when the optional `API-User-ID` header is present"),
    "notify-url-500": Mode("drift", "a gateway's HTML 500 whenever the optional `notify_url` is present"),
    "moved-308": Mode(
        "drift", f"the operation answers 308 with Location: the same path under {MOVED_PREFIX} (which works)"
    ),
    # What real clients send (the provider's page's samples, required-only and everything-set requests)
    # and the facts the spec's link and auth scheme rely on.
    "unauthenticated-500": Mode("drift", "requests without the account's token crash the service: HTTP 500"),
    "user-id-bypasses-auth": Mode("drift", "a request with an `API-User-ID` header needs no token"),
    "require-version": Mode("drift", "a missing `version` is refused (the spec: optional, default v1)"),
    "require-api-user-id": Mode("drift", "a missing `API-User-ID` header is refused (the spec: optional)"),
    "refuse-empty-user-id": Mode(
        "drift", "an empty `API-User-ID` is refused (the provider's Python sample sends one)"
    ),
    "empty-task-id": Mode("drift", "an accepted task's `result.task_id` is an empty string"),
    "auth-scheme-changed": Mode(
        "drift", "the token is taken as `Authorization: Token <t>`; Bearer gets 401, WWW-Authenticate: Token"
    ),
    "bare-token": Mode(
        "drift", "the token is taken bare (`Authorization: <t>`); Bearer gets 401 without WWW-Authenticate"
    ),
    "api-key-scheme": Mode(
        "drift",
        "the token is taken as `Authorization: Api-Key <t>`; Bearer gets 401 without WWW-Authenticate",
    ),
    "observed-codes": Mode(
        "harmless",
        "rejections carry the status, code and message the live check observed (--observed CATALOG)",
    ),
    "lenient-json": Mode(
        "harmless", "a body with a trailing comma (the provider's curl sample as written) is read as JSON"
    ),
    # Gateways and networks in front of the service: one blip, then normal answers (harmless).
    "gateway-502-once": Mode("harmless", "the first request gets a gateway's HTML 502, then normal answers"),
    "gateway-502-on-task": Mode(
        "harmless", "the first task is created, but a gateway answers HTML 502 for it; then normal answers"
    ),
    "reset-on-task": Mode(
        "harmless", "the first task is created, then the connection closes without an answer; then normal"
    ),
    # The service cannot be checked at all.
    "unavailable": Mode("outage", "every request is answered 503"),
    "throttled": Mode("outage", "every request is answered 429"),
}
# The result read's modes (results.py): its own drift, checked by the live check's result reads.
MODES.update({name: Mode(kind, description) for name, (kind, description) in results.MODES.items()})

# Faults an SDK must survive (the conformance catalog, catalog.yaml, says what a correct SDK does).
FAULTS: dict[str, Mode] = {
    "rate-limit-once": Mode(
        "fault", "the first submit is answered 429 with Retry-After: 1 (no task created)"
    ),
    "server-error-once": Mode("fault", "the first submit is answered 500 (no task created), then normal"),
    "result-rate-limit-once": Mode("fault", "the first result read is answered 429 with Retry-After: 1"),
    "slow": Mode("fault", "every answer waits slow_seconds (default 2 s) before it starts"),
    "drip": Mode("fault", "every answer's body arrives in ten pieces spread over slow_seconds"),
    "task-fails": Mode("fault", "tasks end with status 3 (generation failed)"),
    "task-refused": Mode("fault", "tasks end with status 4 (refused by the safety review)"),
    "task-never-finishes": Mode("fault", "tasks stay in progress (status 2) forever"),
    "task-unknown-status": Mode(
        "fault", f"tasks end with status {results.UNKNOWN_FINAL}, a value nobody documents"
    ),
    "echo-token-result": Mode(
        "fault", "result reads quote the Authorization header in `message` and a sub-task"
    ),
    "result-image-redirect": Mode(
        "fault", "a succeeded sub-task's `image` URL answers 302 to the file, as storage hosts may"
    ),
}
SCENARIOS: dict[str, Mode] = {**MODES, **FAULTS}

MESSAGES = {
    "en": {
        "ok": "Success",
        "auth": "Unauthorized: missing or invalid token",
        "json": "The body must be a JSON object",
        "not_found": "Not found",
        "method": "Method not allowed",
        "internal": "Internal error",
        "throttled": "Too many requests",
        "unavailable": "Service unavailable",
    },
    "zh": {
        "ok": "成功",
        "auth": "未授权:缺少或无效的 Token",
        "json": "请求体必须是 JSON 对象",
        "not_found": "未找到",
        "method": "不支持的请求方式",
        "internal": "内部错误",
        "throttled": "请求过于频繁",
        "unavailable": "服务不可用",
    },
}


@dataclass
class Callback:
    """A `notify_url` call the simulator made (or refused to make): what `sim.callbacks` lists."""

    url: str
    task_id: str
    status: int  # the task status it announced
    sent: bool
    http_status: int | None = None  # the receiver's answer
    error: str | None = None  # why it was not sent or failed
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Exchange:
    """One request the simulator answered (or dropped: status None)."""

    at: float  # time.monotonic() when the request arrived
    method: str
    path: str  # without the /_sim/NAME prefix and the query
    scenario: str
    status: int | None  # None until answered (and for ever when the connection was dropped)
    done: float | None = None  # time.monotonic() when the simulator was done with it

    @property
    def seconds(self) -> float:
        """How long the simulator spent on it (0 while it is still being answered)."""
        return 0.0 if self.done is None else self.done - self.at


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128  # the stdlib's 5 resets connections when many clients connect at once

    def __init__(
        self,
        mode: str,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_seconds: float | None = None,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
        callback_hosts: tuple[str, ...] = (),
        replay: Cassette | None = None,
        observed: ObservedCodes | None = None,
    ) -> None:
        if mode not in SCENARIOS:
            raise ValueError(f"unknown stand-in mode {mode!r}; known: {', '.join(SCENARIOS)}")
        if not token:
            raise ValueError("the stand-in needs a non-empty token")
        super().__init__((host, port), _Handler)
        self.mode = mode
        self._token = token
        self._lock = threading.Lock()
        self.requests = 0
        self.accepted_tasks = 0
        self.billed_tasks = 0
        self._done: set[str] = set()
        self.book = results.TaskBook(task_seconds)  # the accepted tasks, for the result read
        self.slow_seconds = slow_seconds
        self.callback_hosts = tuple(callback_hosts)  # hosts besides loopback that callbacks may reach
        self.callbacks: list[Callback] = []
        self.log: list[Exchange] = []  # every request: method, path, scenario, status, when
        self.sink: list[bytes] = []  # bodies posted to CALLBACK_SINK
        self._timers: list[threading.Timer] = []
        self.closed = False
        self.replay = replay  # replay.py: every request answered from a cassette instead
        if replay is not None:
            replay.token = token
        self.observed = observed  # observed.py: the codes the `observed-codes` scenario answers with

    def server_close(self) -> None:
        self.closed = True
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        super().server_close()

    def schedule_callback(self, task: results.Task) -> None:
        """Call the task's notify_url when it is final: at once (per-read mode) or after task_seconds."""
        if task.notify_url is None or task.outcome == results.NEVER:
            return
        delay = self.book.task_seconds or 0.0
        timer = threading.Timer(delay, self._callback, args=(task,))
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def _callback(self, task: results.Task) -> None:
        if self.closed or task.notify_url is None:
            return
        host, port = self.server_address[:2]
        body = results.envelope_for(task.scenario, f"http://{host!s}:{port}", task.sub_task_ids, task.outcome)
        body["result"]["task_id"] = task.task_id
        record = Callback(task.notify_url, task.task_id, task.outcome, sent=False, body=body)
        problem = callback_problem(task.notify_url, self.callback_hosts)
        if problem:
            record.error = problem  # the task goes on as if it had no notify_url
        else:
            self.book.finish(task)  # per-read mode: a task with a callback finishes on its own
            request = urllib.request.Request(  # noqa: S310 (the URL's scheme and host were checked)
                task.notify_url,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "User-Agent": "hidream-sim"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_S) as answer:  # noqa: S310
                    record.http_status = answer.status
            except urllib.error.HTTPError as error:
                record.http_status = error.code
            except (OSError, ValueError) as error:
                record.error = f"{type(error).__name__}: {error}"
            record.sent = record.http_status is not None
        with self._lock:
            self.callbacks.append(record)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client closing its keep-alive connection is normal; anything else is still printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __repr__(self) -> str:  # never show the token
        return f"SimServer(mode={self.mode!r}, port={self.server_address[1]})"

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def token_matches(self, authorization: str | None) -> bool:
        return authorization == f"Bearer {self._token}"

    def carries_token(self, authorization: str | None) -> bool:
        """The account's token in any form (`Bearer <t>`, bare, `Token <t>`...): what can be billed."""
        return authorization is not None and self._token in authorization.split()

    def count_request(self) -> int:
        with self._lock:
            self.requests += 1
            return self.requests

    @property
    def busy_seconds(self) -> float:
        """Time spent answering requests, summed: the simulator's share of a run's wall time."""
        with self._lock:
            return sum(exchange.seconds for exchange in self.log)

    def count_task(self, billed: bool) -> None:
        with self._lock:
            self.accepted_tasks += 1
            self.billed_tasks += billed

    def first(self, event: str) -> bool:
        """True the first time `event` is asked about: for the modes that misbehave once."""
        with self._lock:
            if event in self._done:
                return False
            self._done.add(event)
            return True


StandInServer = SimServer  # the name the live check's tests knew it by


def callback_problem(url: str, allowed_hosts: tuple[str, ...]) -> str | None:
    """Why the simulator will not call `url`, None if it may: loopback only, unless the user allows more."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "notify_url: not an http(s) URL"
    host = parts.hostname
    if host in allowed_hosts or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return f"notify_url: {host} is not a loopback address (allow it with --allow-callback-host {host})"


class _Handler(BaseHTTPRequestHandler):
    server: SimServer
    scenario: str = "faithful"
    scenario_chosen = False  # whether this request chose its scenario (header or path)
    scenario_root = ""  # "/_sim/NAME" when the path chose it
    _exchange: Exchange  # this request in the server's log
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without this, Nagle's algorithm and delayed ACKs add
    # ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "HiDreamStandIn/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: requests carry the token in a header, and test output stays readable."""

    # --- HTTP methods ---------------------------------------------------------------------
    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    # --- behaviour ------------------------------------------------------------------------
    def _choose_scenario(self) -> str | None:
        """Set this request's scenario from the path prefix, the header or the server; the problem if any."""
        self.scenario, self.scenario_chosen, self.scenario_root = self.server.mode, False, ""
        chosen = self.headers.get(SCENARIO_HEADER)
        if self.path.startswith(SCENARIO_PATH):
            name, _, rest = self.path[len(SCENARIO_PATH) :].partition("/")
            self.scenario_root = SCENARIO_PATH + name
            self.path = "/" + rest
            chosen = chosen or name
        if chosen is None:
            return None
        if chosen not in SCENARIOS:
            return f"{SCENARIO_HEADER}: unknown scenario {chosen!r} (hidream-sim --list-scenarios lists them)"
        self.scenario, self.scenario_chosen = chosen, True
        return None

    def _handle(self, method: str) -> None:
        try:
            self._answer(method)
        finally:
            self._exchange.done = time.monotonic()

    def _answer(self, method: str) -> None:
        self._exchange = Exchange(time.monotonic(), method, urlsplit(self.path).path, self.server.mode, None)
        with self.server._lock:
            self.server.log.append(self._exchange)
        number = self.server.count_request()
        raw = self._read_body()
        if self.server.replay is not None:  # replay.py: the recorded answer, or "not recorded"
            answer = self.server.replay.answer(method, self.path, self.headers.items(), raw)
            self._send_raw(answer.status, answer.body, answer.content_type, dict(answer.headers))
            return
        problem = self._choose_scenario()
        self._exchange.path, self._exchange.scenario = urlsplit(self.path).path, self.scenario
        if problem:
            self._send(400, self._error(CODE_INVALID_PARAMETER, problem))
            return
        mode = self.scenario
        lang = self.headers.get("X-accept-language")
        texts = MESSAGES["en" if lang == "en" else "zh"]
        path = urlsplit(self.path).path
        if path == CALLBACK_SINK and method == "POST":
            with self.server._lock:
                self.server.sink.append(raw)
            self._send_raw(204, b"", "text/plain")
            return
        is_submit = path == PREFIX + OPERATION_PATH and method == "POST"
        if mode == "slow":
            time.sleep(self.server.slow_seconds)
        if mode == "rate-limit-once" and is_submit and self.server.first("rate-limit"):
            self._send(429, self._error(429, texts["throttled"]), extra={"Retry-After": "1"})
            return
        if mode == "server-error-once" and is_submit and self.server.first("server-error"):
            self._send(500, self._error(CODE_INTERNAL, texts["internal"]))
            return
        if (
            mode == "result-rate-limit-once"
            and path == PREFIX + OPERATION_PATH + results.RESULTS_SUFFIX
            and self.server.first("result-rate-limit")
        ):
            self._send(429, self._error(429, texts["throttled"]), extra={"Retry-After": "1"})
            return
        if mode == "unavailable":
            self._send(503, self._error(CODE_INTERNAL, texts["unavailable"]))
            return
        if mode == "throttled" or (mode == "flaky-429" and number % 2 == 1):
            self._send(429, self._error(429, texts["throttled"]), extra={"Retry-After": "0"})
            return
        if mode == "gateway-502-once" and self.server.first("blip"):
            self._send_raw(502, GATEWAY_502, "text/html")
            return
        if mode == "moved-308" and path == PREFIX + OPERATION_PATH:
            host, port = self.server.server_address[:2]
            location = f"http://{host!s}:{port}{self.scenario_root}{MOVED_PREFIX}{OPERATION_PATH}"
            self._send_raw(308, b"", "text/html", extra={"Location": location})
            return
        if results.serves(path, PREFIX + OPERATION_PATH):
            host, port = self.server.server_address[:2]
            results.handle(self, self.server.book, mode, method, self.path, f"http://{host!s}:{port}")
            return
        if path not in (
            PREFIX + OPERATION_PATH,
            *((MOVED_PREFIX + OPERATION_PATH,) if mode == "moved-308" else ()),
        ):
            self._send(404, self._error(CODE_NOT_FOUND, texts["not_found"]))
            return
        if method != "POST":
            self._send(405, self._error(CODE_METHOD_NOT_ALLOWED, texts["method"]), extra={"Allow": "POST"})
            return
        if not self._authorized():
            if mode == "unauthenticated-500":
                self._send(500, self._error(CODE_INTERNAL, texts["internal"]))
                return
            if self._send_observed("Authorization", {"WWW-Authenticate": "Bearer"}):
                return
            status = 200 if mode == "auth-envelope" else 401
            scheme = "Token" if mode == "auth-scheme-changed" else "Bearer"
            challenge = {} if mode in NO_CHALLENGE else {"WWW-Authenticate": scheme}
            self._send(status, self._error(CODE_UNAUTHORIZED, texts["auth"]), extra=challenge)
            return
        user_id = self.headers.get("API-User-ID")
        if (mode == "require-api-user-id" and user_id is None) or (
            mode == "refuse-empty-user-id" and user_id == ""
        ):
            self._reject("API-User-ID: required" if user_id is None else "API-User-ID: must not be empty")
            return
        if mode == "strict-language" and lang is not None and lang not in MESSAGES:
            self._reject(f"X-accept-language: unsupported value {lang!r}")
            return
        if mode == "refuse-api-user-id" and self.headers.get("API-User-ID") is not None:
            self._reject("API-User-ID: unknown user")
            return
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = _lenient(raw) if mode == "lenient-json" else None
        if mode == "accept-anything":
            self._task(body if isinstance(body, dict) else {})
            return
        if mode == "notify-url-500" and isinstance(body, dict) and "notify_url" in body:
            self._send_raw(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
            return
        if not isinstance(body, dict):
            self._reject(texts["json"])
            return
        problems = _validate(body, mode)
        if problems:
            self._reject("; ".join(problems))
            return
        self._task(body)

    def _task(self, body: dict[str, Any]) -> None:
        """Create the task and answer it (or, in the blip modes, lose the first answer)."""
        mode = self.scenario
        self.server.count_task(billed=self.server.carries_token(self.headers.get("Authorization")))
        envelope = self._success(body)  # creates the task in the book
        task = self.server.book.get(self._task_id)
        if task is not None:
            self.server.schedule_callback(task)
        if mode == "gateway-502-on-task" and self.server.first("blip"):
            self._send_raw(502, GATEWAY_502, "text/html")
            return
        if mode == "reset-on-task" and self.server.first("reset"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # the task exists; its answer never leaves
            return
        self._send(201 if mode == "status-201" else 200, envelope)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization")
        if self.scenario == "ignore-auth":
            return True
        if self.scenario == "user-id-bypasses-auth" and self.headers.get("API-User-ID") is not None:
            return True
        if self.scenario == "auth-scheme-changed":  # only `Token <t>` passes
            scheme, _, token = (header or "").partition(" ")
            return scheme == "Token" and self.server.token_matches(f"Bearer {token}")
        if self.scenario in NO_CHALLENGE:  # only the bare token, or only `Api-Key <t>`, passes
            scheme, _, token = (header or "").rpartition(" ")
            wanted = "" if self.scenario == "bare-token" else "Api-Key"
            return scheme == wanted and self.server.token_matches(f"Bearer {token}")
        if self.scenario == "ignore-bad-token":
            return header is not None and header.startswith("Bearer ") and len(header) > len("Bearer ")
        return self.server.token_matches(header)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(max(length, 0), MAX_BODY_BYTES)) if length > 0 else b""

    def _send_observed(self, about: str, extra: dict[str, str] | None = None) -> bool:
        """In the observed-codes scenario, answer a rejection as the live check saw the service do."""
        if self.scenario != "observed-codes" or self.server.observed is None:
            return False
        found = self.server.observed.answer(about, self.headers.get("X-accept-language"))
        if found is None:
            return False
        envelope = {"code": found.code, "message": found.message, "request_id": str(uuid.uuid4())}
        self._send(found.status, envelope, extra if found.status == 401 else None)
        return True

    def _reject(self, message: str) -> None:
        if self._send_observed(about_problem(message)):
            return
        mode = self.scenario
        status = {"reject-400": 400, "rejection-500": 500}.get(mode, 200)
        envelope = self._error(CODE_INVALID_PARAMETER, message)
        if mode == "error-code-string":
            envelope["code"] = str(envelope["code"])
        self._send(status, envelope)

    def _error(self, code: int, message: str) -> dict[str, Any]:
        envelope = {"code": code, "message": self._echo(message), "request_id": str(uuid.uuid4())}
        if self.scenario == "extra-result-field":  # rejections carry the undocumented field too
            envelope["trace_id"] = str(uuid.uuid4())
        return envelope

    def _echo(self, message: str) -> str:
        if self.scenario == "echo-auth-forms":
            return f"{message} ({' | '.join(echo_forms(self.headers.get('Authorization') or ''))})"
        if self.scenario != "echo-auth":
            return message
        return f"{message} (Authorization: {self.headers.get('Authorization')})"

    def _success(self, body: dict[str, Any]) -> dict[str, Any]:
        mode = self.scenario
        result: dict[str, Any] = {"sub_task_ids": [str(uuid.uuid4())], "task_id": str(uuid.uuid4())}
        self.server.book.add(result["task_id"], result["sub_task_ids"], body, mode)
        self._task_id = result["task_id"]
        envelope: dict[str, Any] = {
            "code": 0,
            "message": self._echo(
                MESSAGES["en" if self.headers.get("X-accept-language") == "en" else "zh"]["ok"]
            ),
            "request_id": body.get("request_id") or str(uuid.uuid4()),
            "result": result,
        }
        if mode == "rename-task-id":
            result["taskId"] = result.pop("task_id")
        elif mode == "empty-task-id":
            result["task_id"] = ""
        elif mode == "retype-sub-task-ids":
            result["sub_task_ids"] = result["sub_task_ids"][0]
        elif mode == "retype-code":
            envelope["code"] = "0"
        elif mode == "missing-request-id":
            del envelope["request_id"]
        elif mode == "missing-result":
            del envelope["result"]
        elif mode == "extra-result-field":
            result["estimated_seconds"] = 30
            envelope["trace_id"] = str(uuid.uuid4())
        return envelope

    def _send(self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        content_type = {"wrong-content-type": "text/plain", "json-charset": "application/json; charset=utf-8"}
        if self.scenario == "echo-auth-forms":
            forms = echo_forms(self.headers.get("Authorization") or "")
            extra = {**(extra or {}), "X-Echo-Authorization": forms[-1]}  # the base64 form
        self._send_raw(status, data, content_type.get(self.scenario, "application/json"), extra)

    def _send_raw(
        self, status: int, data: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        if self._exchange.status is None:
            self._exchange.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if self.scenario == "drip" and data:
            step = max(1, -(-len(data) // 10))
            for at in range(0, len(data), step):
                self.wfile.write(data[at : at + step])
                self.wfile.flush()
                time.sleep(self.server.slow_seconds / 10)
            return
        self.wfile.write(data)


def echo_forms(value: str) -> list[str]:
    """`value` as a leaky service or proxy might echo it: raw, JSON-, percent-, HTML- and
    backslash-escaped, the token alone in base64, then the whole value in base64 (last)."""
    token = value.partition(" ")[2] or value
    raw = value.encode("utf-8", "surrogatepass")
    return [
        value,
        json.dumps(value)[1:-1],
        json.dumps(value).replace("/", "\\/")[1:-1],
        quote(value, safe=""),
        html.escape(value),
        value.encode("unicode_escape").decode("ascii"),
        base64.urlsafe_b64encode(token.encode("utf-8", "surrogatepass")).decode("ascii"),
        base64.b64encode(raw).decode("ascii"),
    ]


def _validate(body: dict[str, Any], mode: str) -> list[str]:
    """What is wrong with the body, as the documented service would see it (plus the mode's drift)."""
    problems: list[str] = []
    image = body.get("image")
    if mode == "accept-imageless" and (not isinstance(image, str) or not image):
        pass  # the drift: no image to upscale, and still a task
    elif "image" not in body:
        problems.append("image: required")
    elif not isinstance(image, str) or not image:
        problems.append("image: must be a non-empty string")
    else:
        problems += _image_problems(image, refuse_base64=mode == "refuse-base64")
    if "upsale_ratio" not in body:
        if mode != "optional-ratio":
            problems.append("upsale_ratio: required")
    else:
        ratio = body["upsale_ratio"]
        allowed = {2} if mode == "refuse-ratio-4" else {2, 4}
        if not isinstance(ratio, int) or isinstance(ratio, bool):
            problems.append("upsale_ratio: must be an integer")
        elif mode == "accept-any-ratio":
            if ratio < 1:
                problems.append("upsale_ratio: must be positive")
        elif ratio not in allowed:
            problems.append(f"upsale_ratio: must be one of {sorted(allowed)}")
    if "version" in body:
        version = body["version"]
        if not isinstance(version, str):
            problems.append("version: must be a string")
        elif version != "v1" and mode != "accept-any-version":
            problems.append('version: must be "v1"')
    for name in ("notify_url", "request_id"):
        if name in body and not isinstance(body[name], str):
            problems.append(f"{name}: must be a string")
    if mode == "refuse-notify-url" and "notify_url" in body:
        problems.append("notify_url: callbacks are not available for this account")
    if mode == "require-version" and "version" not in body:
        problems.append("version: required")
    if mode == "new-required-field" and not isinstance(body.get("model"), str):
        problems.append("model: required")
    if mode == "strict-fields":
        known = {"image", "upsale_ratio", "version", "notify_url", "request_id"}
        problems += [f"{name}: unknown field" for name in sorted(set(body) - known)]
    return problems


def _lenient(raw: bytes) -> Any:
    """A body read by a JSON reader that tolerates trailing commas (the lenient-json mode)."""
    try:
        return json.loads(re.sub(rb",(\s*[}\]])", rb"\1", raw))
    except (ValueError, UnicodeDecodeError):
        return None


def _image_problems(image: str, *, refuse_base64: bool) -> list[str]:
    if image.startswith(("http://", "https://")):
        parts = urlsplit(image)
        if not parts.hostname or not parts.path.lower().endswith(IMAGE_URL_SUFFIXES):
            return ["image: the URL could not be fetched as an image"]
        return []
    if refuse_base64:
        return ["image: must be a URL"]
    try:
        data = base64.b64decode(image, validate=True)
    except (binascii.Error, ValueError):
        return ["image: neither a URL nor base64"]
    if not (data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")):
        return ["image: the base64 value is not a PNG, JPEG or WebP image"]
    return []
