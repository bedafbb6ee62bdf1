"""The hand-written client (`hidream`) against the Prism mock of the spec: the spec's own examples come
back as a typed task or as the typed error of each documented response, with one request each."""

from __future__ import annotations

import httpx
import pytest

from hidream import (
    AsyncHiDream,
    AuthenticationError,
    HiDream,
    HiDreamError,
    RejectedRequestError,
    UpscaleTask,
)
from tests.doubles.http import PNG

pytestmark = pytest.mark.prism

IMAGE = "https://storage.hidreamai.com/image/p_ec2e8446-3a94-11ef-8f5b-6a40833e9843.png"
EXAMPLE_TASK_ID = "ccc894f2-3a9e-11ef-b843-cad358304ee0"  # the spec's `accepted` example


class Counting(httpx.BaseTransport):
    """A real HTTP transport that counts what it sends."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_sync_submit_returns_the_examples_task(mock_base_url: str) -> None:
    with HiDream(token="any-token", base_url=mock_base_url) as client:
        task = client.upscale.submit(IMAGE, upsale_ratio=4, notify_url="https://hooks.example.test/cb")
    assert isinstance(task, UpscaleTask)
    assert task.task_id == EXAMPLE_TASK_ID
    assert task.sub_task_ids == ("3244ad82-2e3a-40a3-b4e2-d7797b32bf41",)
    assert task.request_id == "ccfc092e-8430-11ee-97ff-f60f825045d5"


@pytest.mark.anyio
async def test_async_submit_of_png_bytes_passes_the_mocks_request_validation(mock_base_url: str) -> None:
    async with AsyncHiDream(token="any-token", base_url=mock_base_url, language="en") as client:
        task = await client.upscale.submit(PNG, upsale_ratio=2, request_id="r-1", user_id="u-1")
    assert task.task_id == EXAMPLE_TASK_ID


@pytest.mark.parametrize(
    ("prefer", "error", "status"),
    [
        ("example=rejected", RejectedRequestError, 200),
        ("code=400", RejectedRequestError, 400),
        ("code=401", AuthenticationError, 401),
        ("code=403", AuthenticationError, 403),
    ],
)
def test_each_documented_error_response_is_its_typed_error(
    mock_base_url: str, prefer: str, error: type[HiDreamError], status: int
) -> None:
    transport = Counting()
    http = httpx.Client(transport=transport)
    client = HiDream(
        token="any-token", base_url=mock_base_url, default_headers={"Prefer": prefer}, http_client=http
    )
    with http, pytest.raises(error) as raised:
        client.upscale.submit(IMAGE)
    assert raised.value.http_status == status
    assert raised.value.code not in (None, 0)
    assert raised.value.message
    assert transport.sent == 1
