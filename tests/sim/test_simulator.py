"""The stand-in behaves as the provider's documentation says, and each mode changes what it claims."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hidream_contract.project import ROOT
from hidream_sim import MODES, OPERATION_PATH, StandIn, running_standin

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PNG_2X2 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC"
)
SAMPLE_URL = "https://storage.hidreamai.com/image/p_ec2e8446-3a94-11ef-8f5b-6a40833e9843.png"
TIMEOUT = 5.0


@pytest.fixture
def faithful() -> Iterator[StandIn]:
    with running_standin("faithful", token=TOKEN) as standin:
        yield standin


def _post(standin: StandIn, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        standin.base_url + OPERATION_PATH, json=body, headers={**AUTH, **(headers or {})}, timeout=TIMEOUT
    )


@pytest.mark.parametrize(
    "body",
    [
        {"image": SAMPLE_URL, "upsale_ratio": 2, "version": "v1"},
        {"image": PNG_2X2, "upsale_ratio": 4},
        {"image": SAMPLE_URL, "upsale_ratio": 2, "notify_url": "https://example.com/cb", "request_id": "r1"},
        {"image": SAMPLE_URL, "upsale_ratio": 2, "unknown_field": True},
    ],
)
def test_documented_requests_are_accepted_as_tasks(faithful: StandIn, body: dict[str, Any]) -> None:
    response = _post(faithful, body)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    envelope = response.json()
    assert envelope["code"] == 0
    assert isinstance(envelope["request_id"], str)
    assert isinstance(envelope["result"]["task_id"], str)
    assert isinstance(envelope["result"]["sub_task_ids"], list)
    assert faithful.accepted_tasks == 1
    assert faithful.requests == 1


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"upsale_ratio": 2}, "image"),
        ({"image": "", "upsale_ratio": 2}, "image"),
        ({"image": "not an image", "upsale_ratio": 2}, "image"),
        ({"image": "aGVsbG8=", "upsale_ratio": 2}, "image"),  # base64 of "hello": not an image
        ({"image": "https://example.com/page.html", "upsale_ratio": 2}, "image"),
        ({"image": SAMPLE_URL}, "upsale_ratio"),
        ({"image": SAMPLE_URL, "upsale_ratio": 3}, "upsale_ratio"),
        ({"image": SAMPLE_URL, "upsale_ratio": True}, "upsale_ratio"),
        ({"image": SAMPLE_URL, "upsale_ratio": "2"}, "upsale_ratio"),
        ({"image": SAMPLE_URL, "upsale_ratio": 2, "version": "v2"}, "version"),
        ({"image": SAMPLE_URL, "upsale_ratio": 2, "notify_url": 5}, "notify_url"),
        ({"image": SAMPLE_URL, "upsale_ratio": 2, "request_id": []}, "request_id"),
        ([SAMPLE_URL], "JSON"),
    ],
)
def test_invalid_bodies_are_rejected_in_the_envelope(faithful: StandIn, body: Any, named: str) -> None:
    response = _post(faithful, body, headers={"X-accept-language": "en"})
    assert response.status_code == 200  # the provider's sample: HTTP 200, then `code`
    envelope = response.json()
    assert envelope["code"] != 0
    assert named in envelope["message"]
    assert "result" not in envelope
    assert faithful.accepted_tasks == 0


@pytest.mark.parametrize("authorization", [None, "Bearer other-token", f"Basic {TOKEN}", "Bearer "])
def test_a_missing_or_other_token_is_refused_with_401(faithful: StandIn, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.post(
        faithful.base_url + OPERATION_PATH,
        json={"image": SAMPLE_URL, "upsale_ratio": 2},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == 401
    assert faithful.accepted_tasks == 0


def test_other_methods_and_paths(faithful: StandIn) -> None:
    get = requests.get(faithful.base_url + OPERATION_PATH, headers=AUTH, timeout=TIMEOUT)
    assert (get.status_code, get.headers["Allow"]) == (405, "POST")
    missing = requests.post(faithful.base_url + "/image/other", json={}, headers=AUTH, timeout=TIMEOUT)
    assert missing.status_code == 404


def test_messages_follow_the_language_header(faithful: StandIn) -> None:
    assert _post(faithful, ["x"]).json()["message"] == "请求体必须是 JSON 对象"  # zh is the default
    assert _post(faithful, ["x"], headers={"X-accept-language": "en"}).json()["message"] == (
        "The body must be a JSON object"
    )
    sample = {"image": SAMPLE_URL, "upsale_ratio": 2}
    assert _post(faithful, sample, headers={"X-accept-language": "en"}).json()["message"] == "Success"
    assert _post(faithful, sample, headers={"X-accept-language": "fr"}).json()["message"] == "成功"


@pytest.mark.parametrize(
    ("mode", "body", "expect"),
    [
        (
            "rename-task-id",
            {"image": SAMPLE_URL, "upsale_ratio": 2},
            lambda r: "taskId" in r.json()["result"],
        ),
        ("retype-code", {"image": SAMPLE_URL, "upsale_ratio": 2}, lambda r: r.json()["code"] == "0"),
        (
            "missing-request-id",
            {"image": SAMPLE_URL, "upsale_ratio": 2},
            lambda r: "request_id" not in r.json(),
        ),
        ("refuse-ratio-4", {"image": PNG_2X2, "upsale_ratio": 4}, lambda r: r.json()["code"] != 0),
        ("refuse-base64", {"image": PNG_2X2, "upsale_ratio": 2}, lambda r: r.json()["code"] != 0),
        ("accept-any-ratio", {"image": SAMPLE_URL, "upsale_ratio": 3}, lambda r: r.json()["code"] == 0),
        (
            "accept-any-version",
            {"image": SAMPLE_URL, "upsale_ratio": 2, "version": "v9"},
            lambda r: r.json()["code"] == 0,
        ),
        ("optional-ratio", {"image": SAMPLE_URL}, lambda r: r.json()["code"] == 0),
        ("reject-400", {"image": SAMPLE_URL, "upsale_ratio": 3}, lambda r: r.status_code == 400),
        ("rejection-500", {"image": SAMPLE_URL, "upsale_ratio": 3}, lambda r: r.status_code == 500),
        ("status-201", {"image": SAMPLE_URL, "upsale_ratio": 2}, lambda r: r.status_code == 201),
        ("wrong-content-type", {}, lambda r: r.headers["Content-Type"] == "text/plain"),
        (
            "new-required-field",
            {"image": SAMPLE_URL, "upsale_ratio": 2},
            lambda r: "model" in r.json()["message"],
        ),
        ("strict-fields", {"image": SAMPLE_URL, "upsale_ratio": 2, "x": 1}, lambda r: r.json()["code"] != 0),
        ("unavailable", {"image": SAMPLE_URL, "upsale_ratio": 2}, lambda r: r.status_code == 503),
        ("accept-anything", {}, lambda r: r.json()["code"] == 0),
        ("accept-anything", ["not", "an", "object"], lambda r: r.json()["code"] == 0),
        ("accept-imageless", {"upsale_ratio": 2}, lambda r: r.json()["code"] == 0),
        ("accept-imageless", {"image": "", "upsale_ratio": 2}, lambda r: r.json()["code"] == 0),
        ("accept-imageless", {"image": SAMPLE_URL, "upsale_ratio": 3}, lambda r: r.json()["code"] != 0),
        (
            "refuse-notify-url",
            {"image": SAMPLE_URL, "upsale_ratio": 2, "notify_url": "https://example.com/cb"},
            lambda r: r.json()["code"] != 0 and "notify_url" in r.json()["message"],
        ),
        ("refuse-notify-url", {"image": SAMPLE_URL, "upsale_ratio": 2}, lambda r: r.json()["code"] == 0),
        ("refuse-api-user-id", {"image": SAMPLE_URL, "upsale_ratio": 2}, lambda r: r.json()["code"] == 0),
    ],
)
def test_modes_change_what_they_say(mode: str, body: Any, expect: Any) -> None:
    with running_standin(mode, token=TOKEN) as standin:
        assert expect(_post(standin, body))


@pytest.mark.parametrize("mode", ["ignore-auth", "ignore-bad-token"])
def test_auth_drift_modes_accept_another_token(mode: str) -> None:
    with running_standin(mode, token=TOKEN) as standin:
        response = _post(standin, {"image": SAMPLE_URL, "upsale_ratio": 2}, {"Authorization": "Bearer nope"})
        assert response.json()["code"] == 0
        assert standin.accepted_tasks == 1


def test_refuse_api_user_id_fails_only_with_the_header() -> None:
    with running_standin("refuse-api-user-id", token=TOKEN) as standin:
        refused = _post(standin, {"image": SAMPLE_URL, "upsale_ratio": 2}, {"API-User-ID": "u1"})
        assert refused.json()["code"] != 0
        assert "API-User-ID" in refused.json()["message"]
        assert standin.accepted_tasks == 0


def test_moved_308_points_at_a_working_endpoint_it_does_not_follow_for_you() -> None:
    with running_standin("moved-308", token=TOKEN) as standin:
        moved = requests.post(
            standin.base_url + OPERATION_PATH,
            json={"image": SAMPLE_URL, "upsale_ratio": 2},
            headers=AUTH,
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert moved.status_code == 308
        assert moved.headers["Location"].endswith("/api-pub/gw/v4" + OPERATION_PATH)
        assert standin.accepted_tasks == 0
        followed = _post(standin, {"image": SAMPLE_URL, "upsale_ratio": 2})  # requests follows 308s
        assert followed.status_code == 200
        assert followed.json()["code"] == 0
        assert followed.history[0].status_code == 308
        assert standin.accepted_tasks == 1  # a check that followed it would call this a pass


@pytest.mark.parametrize("mode", ["gateway-502-on-task", "reset-on-task"])
def test_the_blip_modes_create_the_first_task_and_lose_its_answer_once(mode: str) -> None:
    sample = {"image": SAMPLE_URL, "upsale_ratio": 2}
    with running_standin(mode, token=TOKEN) as standin:
        if mode == "reset-on-task":
            with pytest.raises(requests.ConnectionError):
                _post(standin, sample)
        else:
            blip = _post(standin, sample)
            assert blip.status_code == 502
            assert blip.headers["Content-Type"] == "text/html"
        assert standin.accepted_tasks == 1  # created, although its answer was lost
        assert _post(standin, sample).json()["code"] == 0
        assert standin.accepted_tasks == 2


def test_gateway_502_once_blips_on_the_first_request_only() -> None:
    with running_standin("gateway-502-once", token=TOKEN) as standin:
        assert _post(standin, {}).status_code == 502
        assert _post(standin, {}).status_code == 200
        assert standin.accepted_tasks == 0


def test_unknown_mode_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown stand-in mode 'nope'"), running_standin("nope"):
        pass


def test_every_mode_has_a_kind_and_a_description() -> None:
    assert {mode.kind for mode in MODES.values()} == {"faithful", "harmless", "drift", "outage"}
    assert all(mode.description for mode in MODES.values())


@pytest.mark.parametrize("ready_key", [None, "STANDIN_BASE_URL"])
def test_command_prints_its_base_url_and_stops_when_stdin_closes(
    tmp_path: Path, ready_key: str | None
) -> None:
    stats = tmp_path / "stats.json"
    argv = [
        sys.executable,
        "-m",
        "hidream_sim",
        "--mode",
        "faithful",
        "--port",
        "0",
        "--until-stdin-closes",
    ]
    argv += ["--stats-file", str(stats)] + (["--ready-key", ready_key] if ready_key else [])
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if ready_key:
            assert line.startswith(f"{ready_key}=")
            line = line.split("=", 1)[1]
        base_url = line
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api-pub/gw/v3")
        answer = requests.post(base_url + OPERATION_PATH, json={}, timeout=TIMEOUT)
        assert answer.status_code == 401
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.stderr is not None:
            stderr = proc.stderr.read()
            proc.stderr.close()
    assert proc.returncode == 0
    assert "1 requests, 0 tasks" in stderr
    counted = json.loads(stats.read_text("utf-8"))
    assert {key: counted[key] for key in ("requests", "accepted_tasks")} == {
        "requests": 1,
        "accepted_tasks": 0,
    }
    assert 0 < counted["busy_seconds"] < 5
