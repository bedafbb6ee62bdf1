"""The simulator without a socket (issue 29): `sim.transport()` is an httpx transport, sync and async, on the
same service state as the server. Every scenario answers the same sequence of requests the same way on
both layers; our client works through it, sync and async; the pytest fixture can give it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from hidream import AsyncHiDream, HiDream
from hidream_sim import OPERATION_PATH, SCENARIOS, Simulator, simulator
from hidream_sim.png import png_size

TOKEN = "in-process-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "X-accept-language": "en"}
URL_IMAGE = "https://storage.example.test/photo.png"


def _shape(value: Any) -> Any:
    """The JSON's structure and types, without its values (ids and URLs differ between two runs)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, str):
        return "str"
    return value if isinstance(value, bool | int) and not isinstance(value, float) else type(value).__name__


def _session(http: httpx.Client, base_url: str) -> list[Any]:
    """A task's life as a client sees it: two submits (good, bad), three result reads, the image."""
    seen: list[Any] = []

    def record(response: httpx.Response | None) -> httpx.Response | None:
        if response is None:
            seen.append("dropped")
            return None
        body: Any = response.content
        if response.headers.get("Content-Type", "").startswith(("application/json", "text/plain")):
            try:
                body = _shape(response.json())
            except ValueError:
                body = "not JSON"
        elif response.headers.get("Content-Type", "").startswith("image/png"):
            body = png_size(response.content)
        else:
            body = len(response.content)
        seen.append((response.status_code, response.headers.get("Content-Type"), body))
        return response

    def call(method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        try:
            return record(http.request(method, url, headers=HEADERS, **kwargs))
        except httpx.TransportError:
            return record(None)

    submit = base_url + OPERATION_PATH
    first = call("POST", submit, json={"image": URL_IMAGE, "upsale_ratio": 2})
    call("POST", submit, json={"image": URL_IMAGE, "upsale_ratio": 3})
    task_id = ""
    if first is not None and first.status_code in (200, 201):
        result = first.json().get("result") or {}
        task_id = str(result.get("task_id") or result.get("taskId") or "") if isinstance(result, dict) else ""
    image = None
    for _ in range(3):
        read = call("GET", submit + "/results", params={"task_id": task_id or "none"})
        if read is not None and read.headers.get("Content-Type", "").startswith("application/json"):
            subs = (read.json().get("result") or {}).get("sub_task_results") or []
            image = next((s.get("image") for s in subs if isinstance(s, dict) and s.get("image")), None)
    if isinstance(image, str):
        call("GET", image)
    return seen


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_answers_the_same_in_process_and_on_a_socket(scenario: str) -> None:
    options: dict[str, Any] = {"token": TOKEN, "slow_seconds": 0.01}
    with simulator(scenario, **options) as served, httpx.Client(timeout=10, follow_redirects=True) as http:
        on_socket = _session(http, served.base_url)
        served_counts = (served.requests, served.accepted_tasks, served.billed)
    with (
        simulator(scenario, server=False, **options) as sim,
        httpx.Client(transport=sim.transport(), timeout=10, follow_redirects=True) as http,
    ):
        in_process = _session(http, sim.base_url)
        in_process_counts = (sim.requests, sim.accepted_tasks, sim.billed)
    assert in_process == on_socket
    assert in_process_counts == served_counts


def test_a_server_and_its_transport_share_one_state() -> None:
    with simulator(token=TOKEN) as sim, httpx.Client(transport=sim.transport()) as in_process:
        body = {"image": URL_IMAGE, "upsale_ratio": 2}
        in_process.post(sim.base_url + OPERATION_PATH, json=body, headers=HEADERS)
        httpx.post(sim.base_url + OPERATION_PATH, json=body, headers=HEADERS, timeout=10)
        assert (sim.requests, sim.billed, len(sim.tasks)) == (2, 2, 2)


def test_our_client_upscales_through_the_transport(tmp_path: Path) -> None:
    with simulator(token=TOKEN, server=False) as sim:
        http = httpx.Client(transport=sim.transport())
        with HiDream(token=TOKEN, base_url=sim.base_url, http_client=http) as client:
            done = client.upscale.submit_and_wait(URL_IMAGE, upsale_ratio=4, poll_interval=0.05)
            client.upscale.download(done, tmp_path / "big.png")
        http.close()
        assert png_size((tmp_path / "big.png").read_bytes())[0] > 0
        assert sim.billed == 1
        assert [task.ratio for task in sim.tasks] == [4]


def test_our_async_client_upscales_through_the_same_transport(tmp_path: Path) -> None:
    async def main(sim: Simulator) -> None:
        async with (
            httpx.AsyncClient(transport=sim.transport()) as http,
            AsyncHiDream(token=TOKEN, base_url=sim.base_url, http_client=http) as client,
        ):
            done = await client.upscale.submit_and_wait(URL_IMAGE, upsale_ratio=2, poll_interval=0.05)
            await client.upscale.download(done, tmp_path / "big.png")

    with simulator(token=TOKEN, server=False) as sim:
        anyio.run(main, sim)
        assert (tmp_path / "big.png").stat().st_size > 0
        assert sim.billed == 1


def test_a_slow_answer_past_the_read_timeout_is_a_read_timeout_in_process() -> None:
    with (
        simulator("slow", token=TOKEN, server=False, slow_seconds=5.0) as sim,
        httpx.Client(transport=sim.transport(), timeout=0.2) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.post(
            sim.base_url + OPERATION_PATH, json={"image": URL_IMAGE, "upsale_ratio": 2}, headers=HEADERS
        )


def test_the_in_process_sink_receives_callbacks_without_a_socket() -> None:
    with simulator(token=TOKEN, server=False) as sim, httpx.Client(transport=sim.transport()) as http:
        body = {"image": URL_IMAGE, "upsale_ratio": 2, "notify_url": sim.callback_sink_url}
        http.post(sim.base_url + OPERATION_PATH, json=body, headers=HEADERS)
        for _ in range(200):
            if sim.callbacks:
                break
            anyio.run(anyio.sleep, 0.01)
        (call,) = sim.callbacks
        assert (call.sent, call.http_status, call.url) == (
            True,
            204,
            "http://hidream-sim.test/_sim-callbacks",
        )


@pytest.mark.hidream_sim(server=False)
def test_the_fixture_gives_an_in_process_simulator(hidream_sim: Simulator, hidream_sim_token: str) -> None:
    assert hidream_sim.base_url.startswith("http://hidream-sim.test/")
    with (
        httpx.Client(transport=hidream_sim.transport()) as http,
        HiDream(token=hidream_sim_token, base_url=hidream_sim.base_url, http_client=http) as client,
    ):
        client.upscale.submit(image=URL_IMAGE, upsale_ratio=2)
    assert hidream_sim.billed == 1


def test_without_uvicorn_the_server_says_what_to_install_and_in_process_still_works() -> None:
    probe = (
        "import sys; sys.modules['uvicorn'] = None\n"  # as if the [sim] extra were not installed
        "from hidream_sim import simulator\n"
        "try:\n"
        "    with simulator(token='t'): pass\n"
        "except RuntimeError as error: print('refused:', error)\n"
        "with simulator(token='t', server=False) as sim: print('in-process:', sim.base_url)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert "install the [sim] extra" in ran.stdout
    assert "simulator(server=False)" in ran.stdout
    assert "in-process: http://hidream-sim.test/api-pub/gw/v3" in ran.stdout
    assert "Traceback" not in ran.stderr
