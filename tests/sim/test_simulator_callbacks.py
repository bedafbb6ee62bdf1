"""The simulator's callbacks and where it listens, used hostilely (issue 28): a callback never follows a
redirect, never goes through a proxy from the environment, gives up after its timeout, and stays on
loopback unless allowed; the simulator refuses a non-loopback address with the default token."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from hidream_sim import DEFAULT_TOKEN, Simulator, exposure_problem, server, simulator

TOKEN = "callback-token"
IMAGE = "https://storage.example.test/a.png"


@contextmanager
def _receiver(
    status: int = 204, headers: dict[str, str] | None = None, delay: float = 0.0
) -> Iterator[list[str]]:
    """A loopback HTTP server answering every request `status` (after `delay`). Yields a list: its root
    URL first, then the path of every request it gets (a proxied request's path is an absolute URL)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        seen.append(f"http://127.0.0.1:{httpd.server_address[1]}")  # seen[0]: its root
        yield seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _submit_with_callback(sim: Simulator, notify_url: str) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    body = {"image": IMAGE, "upsale_ratio": 2, "notify_url": notify_url}
    with httpx.Client(trust_env=False, timeout=10) as http:  # this test's own request: no proxy either
        answer = http.post(sim.base_url + "/image/image_upscaler/async", json=body, headers=headers)
    task_id = answer.json()["result"]["task_id"]
    assert isinstance(task_id, str)
    return task_id


def _callback(sim: Simulator, within: float = 10.0) -> server.Callback:
    end = time.monotonic() + within
    while not sim.callbacks and time.monotonic() < end:
        time.sleep(0.02)
    (call,) = sim.callbacks
    return call


@pytest.mark.parametrize("redirect", [301, 302, 303, 307, 308])
def test_a_callback_never_follows_a_redirect(redirect: int) -> None:
    with _receiver() as elsewhere:
        target = elsewhere[0] + "/stolen"
        with _receiver(redirect, {"Location": target}) as first, simulator(token=TOKEN) as sim:
            _submit_with_callback(sim, first[0] + "/hook")
            call = _callback(sim)
            time.sleep(0.2)  # a follower would have reached `elsewhere` by now
            assert (call.sent, call.http_status) == (True, redirect)
            assert first[1:] == ["/hook"]
        assert elsewhere[1:] == []


def test_a_callback_ignores_proxy_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with _receiver() as proxy, _receiver() as hook:
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy[0])
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        with simulator(token=TOKEN) as sim:
            _submit_with_callback(sim, hook[0] + "/hook")
            call = _callback(sim)
        assert (call.sent, call.http_status) == (True, 204)
        assert hook[1:] == ["/hook"]
        assert proxy[1:] == []


def test_a_callback_gives_up_after_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "CALLBACK_TIMEOUT_S", 0.3)
    with _receiver(delay=2.0) as slow, simulator(token=TOKEN) as sim:
        _submit_with_callback(sim, slow[0] + "/hook")
        call = _callback(sim)
        assert not call.sent  # the receiver answers after 2 s: a call without the timeout was sent
        assert call.error is not None
        assert "Timeout" in call.error


def test_a_callback_elsewhere_is_refused_unless_allowed() -> None:
    with simulator(token=TOKEN) as sim:
        _submit_with_callback(sim, "http://169.254.169.254/latest/meta-data")
        call = _callback(sim)
    assert not call.sent
    assert "169.254.169.254 is not a loopback address" in str(call.error)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.test"])  # noqa: S104
def test_a_non_loopback_address_with_the_default_token_is_refused_saying_why(host: str) -> None:
    problem = exposure_problem(host, DEFAULT_TOKEN)
    assert problem is not None
    assert "default token" in problem
    assert "--token-env" in problem
    assert exposure_problem(host, "a-token-of-my-own") is None
    with pytest.raises(ValueError, match="default token"), simulator(host=host):
        pass


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_addresses_need_no_token_of_ones_own(host: str) -> None:
    assert exposure_problem(host, DEFAULT_TOKEN) is None


def test_the_command_refuses_a_non_loopback_address_with_the_default_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HIDREAM_STANDIN_TOKEN", raising=False)
    ran = subprocess.run(
        [sys.executable, "-m", "hidream_sim", "--host", "0.0.0.0", "--port", "0"],  # noqa: S104
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert "refusing to listen on 0.0.0.0 with the default token" in ran.stderr
