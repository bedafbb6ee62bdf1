"""Per-call cost, concurrent throughput and construction cost of the clients against raw httpx.

The baseline is always the tool the client is built on, used as a careful caller would: one
keep-alive `httpx.Client` (or `AsyncClient`) posting the same JSON with the same headers and
decoding the answer with `.json()`. Every call is checked once, before timing, to be a real accepted
answer, so a benchmark can never time a stream of errors.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from hidream_api_client import AuthenticatedClient
from hidream_api_client.api.upscale import submit_upscale_task
from hidream_api_client.models import (
    ModelVersion,
    SubmitUpscaleTaskOutcome,
    UpsaleRatio,
    UpscaleRequest,
    UpscaleTask,
)

from bench.measure import Goal, Result, Target, interleave, per_call_us
from bench.payloads import HEADERS, TOKEN, accepted_body, request_example
from hidream_contract.spec import production_base_url, submit

SUBMIT_PATH = submit().path

SYNC_TARGET = Target(Goal.RATIO_AT_MOST, 1.10)
ASYNC_TARGET = Target(Goal.RATIO_AT_LEAST, 0.9)

Call = Callable[[], object]
AsyncCall = Callable[[], Coroutine[Any, Any, object]]


class BenchSetupError(RuntimeError):
    """A benchmarked call did not get the accepted answer, so timing it would mean nothing."""


@dataclass(frozen=True)
class ClientSizes:
    """How much work each round does; the defaults keep `make bench` within its budget."""

    rounds: int = 7
    sync_calls: int = 200
    mock_calls: int = 1000
    async_requests: int = 320
    concurrency: int = 32
    constructions: int = 10


QUICK_CLIENT_SIZES = ClientSizes(
    rounds=2, sync_calls=3, mock_calls=3, async_requests=8, concurrency=4, constructions=2
)


# --- the calls being compared ------------------------------------------------------------------


def generated_client(base_url: str, **kwargs: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base_url, token=TOKEN, **kwargs)


def generated_sync_call(client: AuthenticatedClient) -> Call:
    example = request_example()

    def call() -> object:
        body = UpscaleRequest(image=example["image"], upsale_ratio=UpsaleRatio.X2, version=ModelVersion.V1)
        return submit_upscale_task.sync_detailed(client=client, body=body).parsed

    return call


def generated_async_call(client: AuthenticatedClient) -> AsyncCall:
    example = request_example()

    async def call() -> object:
        body = UpscaleRequest(image=example["image"], upsale_ratio=UpsaleRatio.X2, version=ModelVersion.V1)
        return (await submit_upscale_task.asyncio_detailed(client=client, body=body)).parsed

    return call


def raw_sync_call(http: httpx.Client) -> Call:
    payload = request_example()

    def call() -> object:
        return http.post(SUBMIT_PATH, json=payload, headers=HEADERS).json()

    return call


def raw_async_call(http: httpx.AsyncClient) -> AsyncCall:
    payload = request_example()

    async def call() -> object:
        return (await http.post(SUBMIT_PATH, json=payload, headers=HEADERS)).json()

    return call


def check_accepted(result: object, who: str) -> None:
    """The answer of one call must be the spec's accepted example, whichever way it is parsed."""
    if isinstance(result, SubmitUpscaleTaskOutcome):
        ok = result.code == 0 and isinstance(result.result, UpscaleTask) and bool(result.result.task_id)
    elif isinstance(result, dict):
        ok = result.get("code") == 0 and bool(result.get("result", {}).get("task_id"))
    else:
        ok = getattr(result, "task_id", None) is not None  # a typed task object of another client
    if not ok:
        raise BenchSetupError(f"{who}: expected the accepted answer, got {result!r:.200}")


def mock_transport() -> httpx.MockTransport:
    body = accepted_body()
    return httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    )


# --- the comparisons -----------------------------------------------------------------------------


def compare_per_call(
    *,
    name: str,
    subject: tuple[str, Call],
    baseline: tuple[str, Call],
    calls: int,
    rounds: int,
    target: Target | None,
    note: str = "",
    key: str = "",
) -> Result:
    """µs per call of two sync calls, interleaved round by round."""
    (subject_label, subject_call), (baseline_label, baseline_call) = subject, baseline
    check_accepted(subject_call(), subject_label)
    check_accepted(baseline_call(), baseline_label)
    values = interleave(
        lambda: per_call_us(subject_call, calls), lambda: per_call_us(baseline_call, calls), rounds=rounds
    )
    return Result(name, subject_label, baseline_label, "µs/call", *values, target=target, note=note, key=key)


async def _throughput(call: AsyncCall, requests: int, concurrency: int) -> float:
    """Requests per second with `concurrency` callers in flight at once."""
    per_worker = max(1, requests // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    start = time.perf_counter_ns()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / ((time.perf_counter_ns() - start) / 1e9)


def compare_throughput(
    runner: asyncio.Runner,
    *,
    name: str,
    subject: tuple[str, AsyncCall],
    baseline: tuple[str, AsyncCall],
    sizes: ClientSizes,
    target: Target | None,
    note: str = "",
    key: str = "",
) -> Result:
    """Requests/s of two async calls at `sizes.concurrency` concurrent requests, interleaved."""
    (subject_label, subject_call), (baseline_label, baseline_call) = subject, baseline
    check_accepted(runner.run(subject_call()), subject_label)
    check_accepted(runner.run(baseline_call()), baseline_label)
    values = interleave(
        lambda: runner.run(_throughput(subject_call, sizes.async_requests, sizes.concurrency)),
        lambda: runner.run(_throughput(baseline_call, sizes.async_requests, sizes.concurrency)),
        rounds=sizes.rounds,
    )
    return Result(
        name,
        subject_label,
        baseline_label,
        "req/s",
        *values,
        target=target,
        note=note,
        key=key,
        extra={"concurrency": str(sizes.concurrency), "requests per round": str(sizes.async_requests)},
    )


def compare_construction(
    *,
    name: str,
    subject: tuple[str, Callable[[], Any]],
    baseline: tuple[str, Callable[[], Any]],
    sizes: ClientSizes,
    close: Callable[[Any], None],
    target: Target | None = None,
    note: str = "",
    key: str = "",
) -> Result:
    """ms per new client; every client made is closed after its round, outside the timing."""
    (subject_label, make_subject), (baseline_label, make_baseline) = subject, baseline

    def round_of(make: Callable[[], Any]) -> Callable[[], float]:
        def run() -> float:
            made: list[Any] = []
            try:
                return per_call_us(lambda: made.append(make()), sizes.constructions) / 1_000
            finally:
                for client in made:
                    close(client)

        return run

    values = interleave(round_of(make_subject), round_of(make_baseline), rounds=sizes.rounds)
    return Result(
        name, subject_label, baseline_label, "ms/client", *values, target=target, note=note, key=key
    )


@contextmanager
def _sync_pair(base_url: str, **httpx_kwargs: Any) -> Iterator[tuple[Call, Call]]:
    """The generated client's call and the raw httpx call, each on its own keep-alive client."""
    generated = generated_client(base_url, httpx_args=httpx_kwargs)
    with generated, httpx.Client(base_url=base_url, **httpx_kwargs) as raw:
        yield generated_sync_call(generated), raw_sync_call(raw)


RAW_SYNC = "raw httpx.Client.post + .json()"
RAW_ASYNC = "raw httpx.AsyncClient.post + .json()"
GENERATED_SYNC = "generated sync_detailed"
GENERATED_ASYNC = "generated asyncio_detailed"


def generated_sync_local(base_url: str, sizes: ClientSizes) -> Result:
    with _sync_pair(base_url) as (generated, raw):
        return compare_per_call(
            name="sync submit, keep-alive, local server",
            subject=(GENERATED_SYNC, generated),
            baseline=(RAW_SYNC, raw),
            calls=sizes.sync_calls,
            rounds=sizes.rounds,
            target=SYNC_TARGET,
            key="sync_local",
        )


def generated_sync_mock_transport(sizes: ClientSizes) -> Result:
    with _sync_pair("http://bench.invalid", transport=mock_transport()) as (generated, raw):
        return compare_per_call(
            name="sync submit, network taken out (httpx.MockTransport)",
            subject=(GENERATED_SYNC, generated),
            baseline=(RAW_SYNC, raw),
            calls=sizes.mock_calls,
            rounds=sizes.rounds,
            target=None,
            note="the client's own overhead per call: building the body, parsing into typed models",
            key="sync_mock",
        )


def generated_async_concurrent(base_url: str, sizes: ClientSizes) -> Result:
    with asyncio.Runner() as runner:
        generated = generated_client(base_url)
        raw = httpx.AsyncClient(base_url=base_url)
        try:
            return compare_throughput(
                runner,
                name=f"async submit, {sizes.concurrency} concurrent, local server",
                subject=(GENERATED_ASYNC, generated_async_call(generated)),
                baseline=(RAW_ASYNC, raw_async_call(raw)),
                sizes=sizes,
                target=ASYNC_TARGET,
                key="async",
            )
        finally:
            runner.run(generated.get_async_httpx_client().aclose())
            runner.run(raw.aclose())


def construction(sizes: ClientSizes) -> list[Result]:
    shared = ssl.create_default_context()
    base = production_base_url()  # never contacted: construction only

    def make_generated() -> AuthenticatedClient:
        client = generated_client(base)
        client.get_httpx_client()  # built lazily: a client that sends anything builds it
        return client

    def close_generated(client: AuthenticatedClient) -> None:
        client.get_httpx_client().close()

    def close_httpx(client: httpx.Client) -> None:
        client.close()

    shared_label = "httpx.Client(verify=<shared SSLContext>)"
    return [
        compare_construction(
            name="construction: httpx.Client, SSL context per instance",
            subject=("httpx.Client() (new SSL context)", lambda: httpx.Client(base_url=base)),
            baseline=(shared_label, lambda: httpx.Client(base_url=base, verify=shared)),
            sizes=sizes,
            close=close_httpx,
            note="the cost a client pays when it does not share its SSL context",
            key="construct_httpx",
        ),
        compare_construction(
            name="construction: generated AuthenticatedClient (+ its httpx.Client)",
            subject=("AuthenticatedClient(...).get_httpx_client()", make_generated),
            baseline=(shared_label, lambda: httpx.Client(base_url=base, verify=shared)),
            sizes=sizes,
            close=lambda client: (
                close_generated(client) if isinstance(client, AuthenticatedClient) else client.close()
            ),
            note="the generated client builds a new httpx.Client, and so a new SSL context, per instance",
            key="construct_generated",
        ),
    ]
