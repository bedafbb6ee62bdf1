"""Helpers for the client tests: canned responses, a scripted transport that counts requests, tiny images."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import hidream._retry
from hidream_contract.spec import submit

TOKEN = "tok-SECRET-0123456789"  # distinctive, so a leak anywhere is easy to find
BASE_URL = "https://gateway.test/api-pub/gw/v3"
SUBMIT_URL = BASE_URL + submit().path
IMAGE_URL = "https://storage.example.test/photo.png"
# A real 2x2 PNG (the spec's imageBase64 example), and minimal JPEG/WebP headers.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32

ACCEPTED = {
    "code": 0,
    "message": "Success",
    "request_id": "ccfc092e-8430-11ee-97ff-f60f825045d5",
    "result": {
        "sub_task_ids": ["3244ad82-2e3a-40a3-b4e2-d7797b32bf41"],
        "task_id": "ccc894f2-3a9e-11ef-b843-cad358304ee0",
    },
}
REJECTED = {"code": 1001, "message": "upsale_ratio: must be one of [2, 4]", "request_id": "rej-1"}

Reply = httpx.Response | Exception


def ok() -> httpx.Response:
    return httpx.Response(200, json=ACCEPTED)


class Script:
    """A MockTransport handler that answers from a list (the last entry repeats) and keeps every request."""

    def __init__(self, *replies: Reply | Callable[[httpx.Request], Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if callable(reply) and not isinstance(reply, httpx.Response | Exception):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        # A fresh copy each time: a Response read by a sync client cannot be handed to an async one.
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    @property
    def sent(self) -> int:
        return len(self.requests)

    def body(self, index: int = -1) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.requests[index].content)
        return loaded


def sync_transport(script: Script) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(script))


def async_transport(script: Script) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(script))


class Sleeps:
    """Records the retry waits instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def record_sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    sleeps = Sleeps()
    monkeypatch.setattr(hidream._retry, "_sleep", sleeps.sleep)
    monkeypatch.setattr(hidream._retry, "_async_sleep", sleeps.async_sleep)
    return sleeps
