"""The generated client against the Prism mock: typed results and documented errors, never crashes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
from hidream_api_client import AuthenticatedClient, Client
from hidream_api_client.api.upscale import submit_upscale_task
from hidream_api_client.models import (
    ErrorEnvelope,
    SubmitUpscaleTaskOutcome,
    UpsaleRatio,
    UpscaleRequest,
    UpscaleTask,
)

pytestmark = pytest.mark.prism

SAMPLE_IMAGE = "https://storage.hidreamai.com/image/p_ec2e8446-3a94-11ef-8f5b-6a40833e9843.png"


def test_submit_parses_into_the_typed_task(mock_base_url: str) -> None:
    with AuthenticatedClient(base_url=mock_base_url, token="any-token") as client:
        response = submit_upscale_task.sync_detailed(
            client=client, body=UpscaleRequest(image=SAMPLE_IMAGE, upsale_ratio=UpsaleRatio.X4)
        )
    assert response.status_code == 200
    outcome = response.parsed
    assert isinstance(outcome, SubmitUpscaleTaskOutcome)
    assert outcome.code == 0
    assert isinstance(outcome.result, UpscaleTask)
    assert outcome.result.task_id == "ccc894f2-3a9e-11ef-b843-cad358304ee0"
    assert outcome.result.sub_task_ids == ["3244ad82-2e3a-40a3-b4e2-d7797b32bf41"]
    assert outcome.request_id == "ccfc092e-8430-11ee-97ff-f60f825045d5"


async def _submit_async(base_url: str) -> object:
    async with AuthenticatedClient(base_url=base_url, token="any-token") as client:
        return await submit_upscale_task.asyncio(
            client=client, body=UpscaleRequest(image=SAMPLE_IMAGE, upsale_ratio=UpsaleRatio.X2)
        )


@pytest.mark.anyio
async def test_async_submit_parses_too(mock_base_url: str) -> None:
    outcome = await _submit_async(mock_base_url)
    assert isinstance(outcome, SubmitUpscaleTaskOutcome)
    assert isinstance(outcome.result, UpscaleTask)
    assert outcome.result.task_id


def test_invalid_ratio_comes_back_as_the_documented_rejection(mock_base_url: str) -> None:
    # The typed model cannot hold 3; a stand-in with `.value` sends it, as a stale client would.
    body = UpscaleRequest(image=SAMPLE_IMAGE, upsale_ratio=cast(UpsaleRatio, SimpleNamespace(value=3)))
    assert body.to_dict()["upsale_ratio"] == 3
    with AuthenticatedClient(base_url=mock_base_url, token="any-token") as client:
        response = submit_upscale_task.sync_detailed(client=client, body=body)
    assert response.status_code == 400
    assert isinstance(response.parsed, ErrorEnvelope)
    assert response.parsed.code != 0
    assert response.parsed.message


def test_missing_token_comes_back_as_401_error_envelope(mock_base_url: str) -> None:
    # The operation requires AuthenticatedClient; a plain Client is what "no token" looks like.
    with Client(base_url=mock_base_url) as client:
        response = submit_upscale_task.sync_detailed(
            client=cast(AuthenticatedClient, client),
            body=UpscaleRequest(image=SAMPLE_IMAGE, upsale_ratio=UpsaleRatio.X2),
        )
    assert response.status_code == 401
    assert isinstance(response.parsed, ErrorEnvelope)
    assert response.parsed.code != 0
