"""What the simulator adds to the stand-in it grew from: scenarios per request, timed tasks, real output
PNGs, notify_url callbacks, inspection, the command, the pytest fixture. Checked from outside (plain
requests, zlib on the PNG bytes, the client's own callback parser), not through the simulator's code."""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from hidream import TaskStatus, parse_callback
from hidream_sim import FAULTS, MODES, SCENARIO_HEADER, SCENARIOS, Simulator, simulator
from hidream_sim.png import URL_INPUT_SIZE, input_size, png
from hidream_sim.results import Task
from hidream_sim.server import callback_problem

TOKEN = "features-token"
OPERATION = "/image/image_upscaler/async"
URL_IMAGE = "https://storage.example.test/photo.png"


def submit(base_url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = requests.post(
        base_url + OPERATION,
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})},
        timeout=10,
    )
    answer.raise_for_status()
    envelope: dict[str, Any] = answer.json()
    return envelope


def read(base_url: str, task_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = requests.get(
        base_url + OPERATION + "/results",
        params={"task_id": task_id},
        headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})},
        timeout=10,
    )
    envelope: dict[str, Any] = answer.json()
    return envelope


def statuses(envelope: dict[str, Any]) -> list[int]:
    return [sub["task_status"] for sub in envelope["result"]["sub_task_results"]]


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and scanlines of an 8-bit greyscale PNG, by hand (independent of png.py)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width, height = 8, b"", 0, 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x00"  # 8-bit greyscale
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    rows = [raw[y * (width + 1) : (y + 1) * (width + 1)] for y in range(height)]
    return width, height, rows


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with simulator(token=TOKEN) as running:
        yield running


# --- scenarios: for the server, per request, per task -----------------------------------------------


def test_faults_are_a_kind_of_their_own_and_do_not_touch_the_live_checks_modes() -> None:
    assert {mode.kind for mode in FAULTS.values()} == {"fault"}
    assert set(FAULTS).isdisjoint(MODES)
    assert SCENARIOS == {**MODES, **FAULTS}


@pytest.mark.parametrize("how", ["header", "path"])
def test_a_request_chooses_its_scenario_and_the_task_keeps_it(sim: Simulator, how: str) -> None:
    base, headers = sim.base_url, {}
    if how == "header":
        headers = {SCENARIO_HEADER: "task-refused"}
    else:
        base = sim.url_for("task-refused")
        assert base.endswith("/_sim/task-refused/api-pub/gw/v3")
    task_id = submit(base, {"image": URL_IMAGE, "upsale_ratio": 2}, headers)["result"]["task_id"]
    seen = [statuses(read(sim.base_url, task_id)) for _ in range(3)]  # read without choosing
    assert seen == [[0], [2], [4]]
    assert sim.tasks[0].scenario == "task-refused"
    assert sim.scenario == "faithful"  # the server's default is untouched
    assert [x.scenario for x in sim.log] == ["task-refused", "faithful", "faithful", "faithful"]


def test_an_unknown_scenario_is_refused_naming_it(sim: Simulator) -> None:
    answer = requests.post(sim.base_url + OPERATION, json={}, headers={SCENARIO_HEADER: "nope"}, timeout=10)
    assert answer.status_code == 400
    assert "unknown scenario 'nope'" in answer.json()["message"]
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        sim.url_for("nope")
    assert sim.billed == 0


def test_rate_limit_once_answers_429_with_retry_after_then_serves(sim: Simulator) -> None:
    url = sim.url_for("rate-limit-once") + OPERATION
    headers = {"Authorization": f"Bearer {TOKEN}"}
    first = requests.post(url, json={"image": URL_IMAGE, "upsale_ratio": 2}, headers=headers, timeout=10)
    second = requests.post(url, json={"image": URL_IMAGE, "upsale_ratio": 2}, headers=headers, timeout=10)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert (second.status_code, second.json()["code"]) == (200, 0)
    assert sim.billed == 1  # the 429 created nothing


def test_a_task_that_never_finishes_stays_in_progress(sim: Simulator) -> None:
    task_id = submit(sim.url_for("task-never-finishes"), {"image": URL_IMAGE, "upsale_ratio": 2})["result"][
        "task_id"
    ]
    assert [statuses(read(sim.base_url, task_id))[0] for _ in range(6)] == [0, 2, 2, 2, 2, 2]


def test_unknown_final_status_and_echoed_token(sim: Simulator) -> None:
    task_id = submit(sim.url_for("task-unknown-status"), {"image": URL_IMAGE, "upsale_ratio": 2})["result"][
        "task_id"
    ]
    assert [statuses(read(sim.base_url, task_id))[0] for _ in range(3)] == [0, 2, 7]
    echoed = read(sim.url_for("echo-token-result"), task_id)
    assert TOKEN in echoed["message"]
    assert TOKEN in json.dumps(echoed["result"]["sub_task_results"])


# --- the lifecycle's timing --------------------------------------------------------------------------


def test_task_status_follows_reads_or_the_clock() -> None:
    task = Task("t", ["s"], 1, "faithful", 2, (4, 4), None, created=100.0)
    assert [task.status(10.0, now) for now in (100.0, 104.9, 105.0, 109.9, 110.0, 500.0)] == [
        0,
        0,
        2,
        2,
        1,
        1,
    ]
    task.reads = 1
    assert task.status(None) == 0
    task.reads = 2
    assert task.status(None) == 2
    task.reads = 3
    assert task.status(None) == 1


def test_task_seconds_zero_is_final_at_the_first_read() -> None:
    with simulator(token=TOKEN, task_seconds=0) as sim:
        task_id = submit(sim.base_url, {"image": URL_IMAGE, "upsale_ratio": 2})["result"]["task_id"]
        assert statuses(read(sim.base_url, task_id)) == [1]


def test_negative_task_seconds_are_refused() -> None:
    with pytest.raises(ValueError, match="task_seconds must be >= 0"), simulator(task_seconds=-1):
        pass


# --- the output image ----------------------------------------------------------------------------------


def _jpeg(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHH", 11, 8, height, width) + b"\x01\x01\x11\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 4) + b"JF" + sof + b"\xff\xd9"


def _webp_vp8x(width: int, height: int) -> bytes:
    body = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


@pytest.mark.parametrize(
    ("image", "ratio", "size"),
    [
        (png(7, 3), 2, (14, 6)),
        (png(5, 9), 4, (20, 36)),
        (_jpeg(6, 2), 4, (24, 8)),
        (_webp_vp8x(3, 5), 2, (6, 10)),
    ],
    ids=["png-2", "png-4", "jpeg-4", "webp-2"],
)
def test_the_output_png_is_the_input_times_the_ratio(
    sim: Simulator, image: bytes, ratio: int, size: tuple[int, int]
) -> None:
    assert input_size(image) == (size[0] // ratio, size[1] // ratio)
    body = {"image": base64.b64encode(image).decode(), "upsale_ratio": ratio}
    task_id = submit(sim.base_url, body)["result"]["task_id"]
    final = [read(sim.base_url, task_id) for _ in range(3)][-1]
    url = final["result"]["sub_task_results"][0]["image"]
    answer = requests.get(url, timeout=10)  # no token: a public storage host
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, "image/png")
    width, height, rows = decode_png(answer.content)
    assert (width, height) == size
    assert len(set(rows)) == height  # every row differs: not a blank image


def test_a_url_input_counts_as_its_documented_size(sim: Simulator) -> None:
    submit(sim.base_url, {"image": URL_IMAGE, "upsale_ratio": 4})
    assert sim.tasks[0].output_size == (URL_INPUT_SIZE[0] * 4, URL_INPUT_SIZE[1] * 4)


def test_an_image_of_no_task_is_404(sim: Simulator) -> None:
    assert requests.get(sim.root + "/files/nothing.png", timeout=10).status_code == 404


# --- callbacks -----------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes]

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []
    handler = type("Receiver", (_Receiver,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _wait_for(predicate: Any, within: float = 5.0) -> None:
    end = time.monotonic() + within
    while not predicate() and time.monotonic() < end:
        time.sleep(0.02)


def test_a_loopback_notify_url_gets_the_final_result_once(
    sim: Simulator, receiver: tuple[str, list[bytes]]
) -> None:
    url, bodies = receiver
    task_id = submit(sim.base_url, {"image": URL_IMAGE, "upsale_ratio": 2, "notify_url": url})["result"][
        "task_id"
    ]
    _wait_for(lambda: sim.callbacks)
    (call,) = sim.callbacks
    assert (call.url, call.task_id, call.status, call.sent, call.http_status) == (url, task_id, 1, True, 200)
    (body,) = bodies
    result = parse_callback(body)  # the client's own reader accepts it
    assert result.task_id == task_id
    assert result.status is TaskStatus.SUCCEEDED
    assert statuses(read(sim.base_url, task_id)) == [1]  # per-read mode: a task with a callback is done


def test_a_notify_url_elsewhere_is_not_called_and_the_task_goes_on(sim: Simulator) -> None:
    task_id = submit(
        sim.base_url, {"image": URL_IMAGE, "upsale_ratio": 2, "notify_url": "https://hooks.example.test/cb"}
    )["result"]["task_id"]
    _wait_for(lambda: sim.callbacks)
    (call,) = sim.callbacks
    assert not call.sent
    assert call.error is not None
    assert "hooks.example.test is not a loopback address" in call.error
    assert [statuses(read(sim.base_url, task_id))[0] for _ in range(3)] == [0, 2, 1]


def test_which_callback_hosts_are_allowed() -> None:
    assert callback_problem("http://127.0.0.1:9/x", ()) is None
    assert callback_problem("http://[::1]:9/x", ()) is None
    assert callback_problem("http://localhost/x", ()) is None
    assert callback_problem("https://hooks.example.test/x", ("hooks.example.test",)) is None
    assert "not a loopback address" in str(callback_problem("https://10.0.0.1/x", ()))
    assert "not an http(s) URL" in str(callback_problem("ftp://127.0.0.1/x", ()))


def test_the_simulators_own_sink_receives_callbacks(sim: Simulator) -> None:
    submit(sim.base_url, {"image": URL_IMAGE, "upsale_ratio": 2, "notify_url": sim.callback_sink_url})
    _wait_for(lambda: sim.callbacks)
    assert [c.http_status for c in sim.callbacks] == [204]


# --- inspection, repr, the command, the fixture --------------------------------------------------------


def test_inspection_and_repr_never_show_the_token(sim: Simulator) -> None:
    submit(sim.base_url, {"image": URL_IMAGE, "upsale_ratio": 2})
    assert (sim.billed, sim.requests, len(sim.tasks), len(sim.log)) == (1, 1, 1, 1)
    assert sim.task(sim.tasks[0].task_id) is sim.tasks[0]
    assert TOKEN not in repr(sim)
    assert TOKEN not in repr(sim.tasks[0])


def _serve(*argv: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hidream_sim", "--port", "0", "--until-stdin-closes", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_the_command_serves_a_scenario_with_a_token_from_the_command_line() -> None:
    proc, base_url = _serve("--scenario", "task-fails", "--token", TOKEN, "--task-seconds", "0")
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api-pub/gw/v3")
        task_id = submit(base_url, {"image": URL_IMAGE, "upsale_ratio": 2})["result"]["task_id"]
        assert statuses(read(base_url, task_id)) == [3]
    finally:
        _, stderr = proc.communicate("", timeout=20)
    assert proc.returncode == 0
    assert TOKEN not in stderr
    assert "scenario task-fails" in stderr


def test_the_command_lists_scenarios_and_refuses_bad_numbers() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "hidream_sim", "--list-scenarios"], capture_output=True, text=True, check=True
    )
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == list(SCENARIOS)
    bad = subprocess.run(
        [sys.executable, "-m", "hidream_sim", "--task-seconds", "-1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "--task-seconds must be 0..86400" in bad.stderr


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "hidream-sim"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert "--list-scenarios" in done.stdout


def test_the_pytest_fixture_gives_a_running_simulator(hidream_sim: Simulator, hidream_sim_token: str) -> None:
    envelope = requests.post(
        hidream_sim.base_url + OPERATION,
        json={"image": URL_IMAGE, "upsale_ratio": 2},
        headers={"Authorization": f"Bearer {hidream_sim_token}"},
        timeout=10,
    ).json()
    assert envelope["code"] == 0
    assert hidream_sim.billed == 1


@pytest.mark.hidream_sim(scenario="task-fails", task_seconds=0)
def test_the_fixture_marker_chooses_the_scenario(hidream_sim: Simulator) -> None:
    assert hidream_sim.scenario == "task-fails"
    assert hidream_sim.book.task_seconds == 0
