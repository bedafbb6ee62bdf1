"""The hand-written client (`hidream.HiDream`, `AsyncHiDream`; issue 6) against raw httpx.

Same requests, same server, same baselines as bench/client_calls.py; the client runs with its
defaults (retry policy included: a success is never retried, so it costs only its bookkeeping).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx
from hidream_api_client.api.upscale import submit_upscale_task
from hidream_api_client.models import ModelVersion, SubmitUpscaleTaskOutcome, UpsaleRatio, UpscaleRequest
from hidream_api_client.models import UpscaleTask as GeneratedTask
from hidream_api_client.types import UNSET

from bench.client_calls import (
    ASYNC_TARGET,
    RAW_ASYNC,
    RAW_SYNC,
    SYNC_TARGET,
    AsyncCall,
    Call,
    ClientSizes,
    compare_construction,
    compare_per_call,
    compare_throughput,
    mock_transport,
    raw_async_call,
    raw_sync_call,
)
from bench.measure import Goal, Result, Target
from bench.payloads import TOKEN, request_example
from hidream import AsyncHiDream, Endpoint, HiDream, UpscaleTask
from hidream_contract.spec import production_base_url

# Only hidream's public names (issue 22): the unguarded baseline sends the generated operation through
# the public generic `HiDream.call`, with the request's arguments built once from the generated model.
SUBMIT = Endpoint(submit_upscale_task, SubmitUpscaleTaskOutcome.from_dict)

# A new client must not pay the ~20 ms of a fresh SSL context: a tenth of it is the ceiling.
CONSTRUCTION_TARGET = Target(Goal.VALUE_AT_MOST, 2.0)
# Issue 15's guards must cost nothing measurable per call: within the noise of a local round trip.
GUARDS_TARGET = Target(Goal.RATIO_AT_MOST, 1.05)
SDK_SYNC = "hidream.HiDream upscale.submit"
SDK_ASYNC = "hidream.AsyncHiDream upscale.submit"


def sdk_sync_call(client: HiDream) -> Call:
    example = request_example()  # the spec's example: its image and ratio
    image, ratio = example["image"], example["upsale_ratio"]
    return lambda: client.upscale.submit(image, upsale_ratio=ratio)


def sdk_async_call(client: AsyncHiDream) -> AsyncCall:
    example = request_example()
    image, ratio = example["image"], example["upsale_ratio"]

    async def call() -> object:
        return await client.upscale.submit(image, upsale_ratio=ratio)

    return call


def sdk_sync_local(base_url: str, sizes: ClientSizes) -> Result:
    with HiDream(token=TOKEN, base_url=base_url) as sdk, httpx.Client(base_url=base_url) as raw:
        return compare_per_call(
            name="our client: sync submit, keep-alive, local server",
            subject=(SDK_SYNC, sdk_sync_call(sdk)),
            baseline=(RAW_SYNC, raw_sync_call(raw)),
            calls=sizes.sync_calls,
            rounds=sizes.rounds,
            target=SYNC_TARGET,
            key="sdk_sync_local",
        )


def sdk_guards(base_url: str, sizes: ClientSizes) -> Result:
    """The submit as users get it against the same submit with issue 15's per-call guards taken out:
    its arguments built once beforehand (the generated model), no deadline (`deadline=None`),
    and a pool built the same way minus the deadline-aware sockets. The bounded body read and the
    envelope checks stay on both sides: they are the client itself, measured against raw httpx above."""
    example = request_example()
    params: dict[str, Any] = {
        "body": UpscaleRequest(
            image=example["image"],
            upsale_ratio=UpsaleRatio(example["upsale_ratio"]),
            version=ModelVersion(example["version"]),
        ),
        "x_accept_language": UNSET,
        "api_user_id": UNSET,
    }
    ssl_context = httpx.create_ssl_context()  # built once, outside the timing

    def prebuilt() -> UpscaleTask:
        outcome = unguarded.call(SUBMIT, **params)
        result = outcome.result
        assert isinstance(result, GeneratedTask)
        assert isinstance(result.task_id, str)
        assert isinstance(result.sub_task_ids, list)
        return UpscaleTask(
            task_id=result.task_id,
            sub_task_ids=tuple(result.sub_task_ids),
            request_id=str(outcome.request_id),
            message=outcome.message,
            envelope={},
        )

    with (
        HiDream(token=TOKEN, base_url=base_url) as guarded,
        httpx.Client(transport=httpx.HTTPTransport(verify=ssl_context), verify=ssl_context) as plain,
        HiDream(token=TOKEN, base_url=base_url, deadline=None, http_client=plain) as unguarded,
    ):
        return compare_per_call(
            name="our client: the hostile-input and deadline guards, per call (local server)",
            subject=("upscale.submit, every guard on (defaults)", sdk_sync_call(guarded)),
            baseline=(
                "the same request prebuilt, deadline=None, plain sockets",
                prebuilt,
            ),
            calls=sizes.sync_calls,
            rounds=sizes.rounds,
            target=GUARDS_TARGET,
            note="argument checks, the deadline (clamped timeouts, deadline-aware sockets) vs none of them",
            key="sdk_guards",
        )


def sdk_sync_mock_transport(sizes: ClientSizes) -> Result:
    base_url = "http://bench.invalid"
    transport = mock_transport()
    with (
        httpx.Client(transport=transport) as sdk_http,
        HiDream(token=TOKEN, base_url=base_url, http_client=sdk_http) as sdk,
        httpx.Client(base_url=base_url, transport=transport) as raw,
    ):
        return compare_per_call(
            name="our client: sync submit, network taken out (httpx.MockTransport)",
            subject=(SDK_SYNC, sdk_sync_call(sdk)),
            baseline=(RAW_SYNC, raw_sync_call(raw)),
            calls=sizes.mock_calls,
            rounds=sizes.rounds,
            target=None,
            note="input checks, the generated request builder, envelope parsing (no retries on success)",
            key="sdk_sync_mock",
        )


def sdk_async_concurrent(base_url: str, sizes: ClientSizes) -> Result:
    with asyncio.Runner() as runner:
        sdk = AsyncHiDream(token=TOKEN, base_url=base_url)
        raw = httpx.AsyncClient(base_url=base_url)
        try:
            return compare_throughput(
                runner,
                name=f"our client: async submit, {sizes.concurrency} concurrent, local server",
                subject=(SDK_ASYNC, sdk_async_call(sdk)),
                baseline=(RAW_ASYNC, raw_async_call(raw)),
                sizes=sizes,
                target=ASYNC_TARGET,
                key="sdk_async",
            )
        finally:
            runner.run(sdk.aclose())
            runner.run(raw.aclose())


def sdk_construction(sizes: ClientSizes) -> Result:
    shared = ssl.create_default_context()
    base = production_base_url()  # never contacted: construction only

    def close(client: HiDream | httpx.Client) -> None:
        client.close()

    return compare_construction(
        name="construction: our HiDream client",
        subject=("HiDream(token=..., base_url=...)", lambda: HiDream(token=TOKEN, base_url=base)),
        baseline=(
            "httpx.Client(verify=<shared SSLContext>)",
            lambda: httpx.Client(base_url=base, verify=shared),
        ),
        sizes=sizes,
        close=close,
        target=CONSTRUCTION_TARGET,
        note="it shares one SSL context per process",
        key="construct_sdk",
    )
