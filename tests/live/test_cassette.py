"""What a live run keeps (issue 31): the cassette, replay, the comparison and the observed catalog.

All against the simulator: the live check's entry point in process (`main(env)`, as the script runs
it), then the files it wrote beside the report, read as a stranger would (json, requests, a
subprocess of `hidream-sim --replay`).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
import requests
import yaml

from hidream import Secret
from hidream._secret import forms_of
from hidream_contract.cassette import main as cassette_main
from hidream_contract.live import cassette, compare, observed
from hidream_contract.live.__main__ import main
from hidream_contract.live.probes import default_budget, negative_probes, paid_probes
from hidream_contract.spec import load, resolve
from hidream_sim import Cassette, ObservedCodes, Simulator, simulator
from hidream_sim.replay import REPLAY_HEADER, request_key
from hidream_sim.server import echo_forms

CANARY = "canary-tok-5f0c7e19ab"
# A token whose escaped forms all differ from it: JSON, percent, HTML and backslash escaping each change it.
HOSTILE = 'canary/tok+5f0c"7e<19>&ab\\x'
FAST = {
    "HIDREAM_LIVE_MAX_RPS": "1000",
    "HIDREAM_LIVE_MAX_RETRY_WAIT_S": "0",
    "HIDREAM_LIVE_FUZZ_EXAMPLES": "5",
    "HIDREAM_LIVE_RESULT_INTERVAL_S": "0",
}
SUBMIT = "/api-pub/gw/v3/image/image_upscaler/async"


def live_run(sim: Simulator, reports: Path, token: str = CANARY, **env: str) -> tuple[int, str]:
    settings = {
        **FAST,
        "HIDREAM_API_TOKEN": token,
        "HIDREAM_API_BASE_URL": sim.base_url,
        "HIDREAM_LIVE_REPORTS_DIR": str(reports),
        **env,
    }
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(settings)
    return status, out.getvalue()


def har_of(reports: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((reports / cassette.CASSETTE_NAME).read_text("utf-8"))
    return document


def recorded(scenario: str, tmp_path: Path, name: str = "run", **env: str) -> tuple[Path, Simulator, int]:
    reports = tmp_path / name
    with simulator(scenario, token=CANARY) as sim:
        status, _ = live_run(sim, reports, **env)
    return reports, sim, status


# --- the cassette ------------------------------------------------------------------------------------


def test_the_cassette_is_har_with_every_request_the_service_saw_each_named_by_its_step(
    tmp_path: Path,
) -> None:
    reports, sim, status = recorded("faithful", tmp_path)
    assert status == 0
    har = har_of(reports)
    entries = har["log"]["entries"]
    assert har["log"]["version"] == "1.2"
    assert len(entries) == sim.requests  # every request, not a sample
    for entry in entries:  # the fields HAR 1.2 requires of every entry
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        assert {
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        } <= set(entry["request"])
        assert {"status", "statusText", "httpVersion", "headers", "content", "redirectURL"} <= set(
            entry["response"]
        )
        assert entry["timings"]["wait"] >= 0
        assert entry["_attempt"] == 1
    probes = {entry["_probe"] for entry in entries}
    planned = {p.name for p in negative_probes() + paid_probes()}
    assert planned <= probes  # each planned probe's request is found and named
    assert {
        "schemathesis negative case",
        "GET (undeclared)",
        "result read",
        "result read without the token",
    } <= probes
    # The budget did not grow: the faithful service billed exactly the paid probes' tasks.
    assert sim.billed == len(paid_probes())
    assert default_budget() == len(paid_probes()) + 1


def test_an_image_is_summarised_never_stored(tmp_path: Path) -> None:
    reports, _, _ = recorded("faithful", tmp_path)
    text = (reports / cassette.CASSETTE_NAME).read_text("utf-8")
    image = next(p for p in paid_probes() if p.name == "every optional field and header").body["image"]
    assert image not in text
    assert "<summarised: base64 PNG image, " in text


def test_a_lost_answer_and_its_retry_are_both_in_the_cassette(tmp_path: Path) -> None:
    reports, _, _ = recorded("reset-on-task", tmp_path)
    entries = har_of(reports)["log"]["entries"]
    lost = [e for e in entries if e["response"]["status"] == 0]
    assert len(lost) == 1
    assert lost[0]["response"]["_error"]
    retry = [e for e in entries if e["_probe"] == lost[0]["_probe"] and e["_attempt"] == 2]
    assert retry
    assert retry[0]["response"]["status"] == 200


@pytest.mark.parametrize("scenario", ["echo-auth-forms", "echo-token-result"])  # the submit, the result read
def test_a_service_echoing_the_token_in_every_escaped_form_leaves_none_in_the_cassette(
    tmp_path: Path, scenario: str
) -> None:
    reports = tmp_path / "reports"
    with simulator(scenario, token=HOSTILE) as sim:
        # The double does echo every form (else this test could not fail).
        answer = requests.post(
            sim.base_url + "/image/image_upscaler/async",
            json={},
            headers={"Authorization": f"Bearer {HOSTILE}"},
            timeout=10,
        )
        if scenario == "echo-auth-forms":
            for form in echo_forms(f"Bearer {HOSTILE}"):
                assert form in json.loads(answer.text)["message"] + answer.headers["X-Echo-Authorization"]
        status, output = live_run(sim, reports, token=HOSTILE)
    assert status in (0, 1), output  # the result read's echo may be judged drift; either way, kept
    answers = [e["response"]["content"].get("text") or "" for e in har_of(reports)["log"]["entries"]]
    assert any("[REDACTED]" in text for text in answers)  # the answers did echo it, and it was scrubbed
    forms = forms_of(HOSTILE) | {json.dumps(json.dumps(HOSTILE)[1:-1])[1:-1]}  # also escaped twice
    forms |= {quote(HOSTILE, safe=""), html.escape(HOSTILE), base64.b64encode(HOSTILE.encode()).decode()}
    for path in reports.iterdir():  # the cassette, the catalog, the report (with its new table), JUnit
        content = path.read_text("utf-8")
        assert not [form for form in forms if form in content], path.name


def test_without_the_redaction_the_token_would_be_there(tmp_path: Path) -> None:
    """The redaction is what keeps it out: the recorder's raw material holds the echoed token."""
    with simulator("echo-auth", token=CANARY) as sim:
        from hidream_contract.live.runner import LiveRun
        from hidream_contract.live.settings import load as load_settings

        run = LiveRun(
            load_settings({**FAST, "HIDREAM_API_TOKEN": CANARY, "HIDREAM_API_BASE_URL": sim.base_url})
        )
        recorder = cassette.record(run.wire.adapter)
        outcome = run.run()
    assert CANARY in json.dumps(recorder.har(lambda text: text, outcome.sent))
    assert CANARY not in json.dumps(recorder.har(Secret(CANARY).redact, outcome.sent))


def test_bodies_are_bounded_text_kept_images_and_big_bodies_summarised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def answer(content: bytes, content_type: str) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = 200, content
        response.headers["Content-Type"] = content_type
        return response

    request = requests.Request("GET", "https://example.com/x").prepare()
    recorder = cassette.Recorder()
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC"
    )
    for content, kind in (
        (b'{"code": 0}', "application/json"),
        (png, "image/png"),
        (b"x" * 5000, "text/plain"),
    ):
        recorder.send(request, lambda c=content, k=kind: answer(c, k))  # type: ignore[misc]
    monkeypatch.setattr(cassette, "MAX_TEXT_CHARS", 1000)
    small, image, big = (e["response"]["content"] for e in recorder.har(str)["log"]["entries"])
    assert small["text"] == '{"code": 0}'
    assert "text" not in image
    assert "PNG image" in image["comment"]
    assert image["size"] == len(png)
    assert "text" not in big
    assert "over the cassette's bound" in big["comment"]
    monkeypatch.setattr(cassette, "MAX_TEXT_CHARS", 10_000)
    monkeypatch.setattr(cassette, "MAX_BODY_CHARS", 20)  # the whole cassette's bound: later bodies summarised
    small, _, big = (e["response"]["content"] for e in recorder.har(str)["log"]["entries"])
    assert "text" in small
    assert "text" not in big


# --- since last night: the comparison -----------------------------------------------------------------


def _two_runs(tmp_path: Path, first: str, second: str) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    """Two live runs against ONE simulator, told to change its behaviour between them."""
    with simulator(first, token=CANARY) as sim:
        before, _ = live_run(sim, tmp_path / "night1")
        sim._server.mode = second  # the service changed overnight
        after, _ = live_run(sim, tmp_path / "night2")
    return har_of(tmp_path / "night1"), har_of(tmp_path / "night2"), before, after


def test_two_nights_of_the_same_service_compare_equal_though_every_id_changed(tmp_path: Path) -> None:
    old, new, _, _ = _two_runs(tmp_path, "faithful", "faithful")
    ids = [json.loads(e["response"]["content"]["text"]).get("request_id") for e in old["log"]["entries"]]
    ids2 = [json.loads(e["response"]["content"]["text"]).get("request_id") for e in new["log"]["entries"]]
    assert ids != ids2  # a comparison by value would see a change in every answer
    changes = compare.compare(old, new)
    assert changes.changed == []
    assert changes.compared == len(old["log"]["entries"])
    assert changes.exit_status() == 0


def test_a_change_the_spec_allows_is_still_seen(tmp_path: Path) -> None:
    old, new, before, after = _two_runs(tmp_path, "faithful", "extra-result-field")
    assert (before, after) == (0, 0)  # the drift check passes both nights...
    changes = compare.compare(old, new)
    assert changes.exit_status() == 1  # ...and the comparison says the service changed
    text = changes.text()
    assert "body field result.estimated_seconds added (integer)" in text
    assert "trace_id added" in text


def test_drift_between_two_runs_is_named_by_field(tmp_path: Path) -> None:
    old, new, _, after = _two_runs(tmp_path, "faithful", "error-code-string")
    assert after == 1
    changed = compare.compare(old, new).changed
    assert any(line.startswith("empty body (POST") and 'code 1001 -> "1001"' in line for line in changed)
    assert any("body field code integer -> string" in line for line in changed)


def test_the_compare_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _two_runs(tmp_path, "faithful", "status-201")
    one, two = (
        str(tmp_path / "night1" / cassette.CASSETTE_NAME),
        str(tmp_path / "night2" / cassette.CASSETTE_NAME),
    )
    assert cassette_main(["compare", one, one]) == 0
    assert cassette_main(["compare", one, two]) == 1
    assert "status 200 -> 201" in capsys.readouterr().out
    assert cassette_main(["compare", one, str(tmp_path / "missing.har")]) == 2
    (tmp_path / "not.har").write_text('{"log": {}}', "utf-8")
    assert cassette_main(["compare", one, str(tmp_path / "not.har")]) == 2
    assert "not a HAR cassette" in capsys.readouterr().err


# --- replay ---------------------------------------------------------------------------------------------


def test_replay_answers_a_recorded_request_with_its_recorded_answer(tmp_path: Path) -> None:
    reports, _, _ = recorded("reject-400", tmp_path)
    har = har_of(reports)
    entry = next(e for e in har["log"]["entries"] if e["_probe"] == "upsale_ratio 3")
    body = json.loads(entry["request"]["postData"]["text"])
    with simulator(token="another-token", replay=reports / cassette.CASSETTE_NAME) as sim:
        # A stranger's client: plain requests, its own headers, the simulator's token.
        got = requests.post(
            sim.root + SUBMIT, json=body, headers={"Authorization": "Bearer another-token"}, timeout=10
        )
    assert got.status_code == entry["response"]["status"] == 400
    assert got.text == entry["response"]["content"]["text"]
    assert got.headers[REPLAY_HEADER] == "recorded"


def test_a_request_not_recorded_gets_a_clear_answer_naming_the_closest(tmp_path: Path) -> None:
    reports, _, _ = recorded("faithful", tmp_path)
    with simulator(replay=reports / cassette.CASSETTE_NAME) as sim:
        body = {"image": "https://example.com/a.png", "upsale_ratio": 5}
        got = requests.post(
            sim.root + SUBMIT, json=body, headers={"Authorization": "Bearer standin-token"}, timeout=10
        )
    assert got.status_code == 404
    assert got.headers[REPLAY_HEADER] == "not-recorded"
    message = got.json()["message"]
    assert message.startswith("not recorded: POST " + SUBMIT)
    assert "closest recorded: POST " + SUBMIT in message
    assert "differs in: body" in message
    assert got.json()["code"] == -1


def test_replay_serves_a_repeated_request_in_the_recorded_order(tmp_path: Path) -> None:
    reports, _, _ = recorded("gateway-502-once", tmp_path)
    first = har_of(reports)["log"]["entries"][0]
    assert (first["response"]["status"], first["_attempt"]) == (502, 1)
    replay = Cassette.load(reports / cassette.CASSETTE_NAME)
    replay.token = CANARY
    request = first["request"]
    headers = [(h["name"], h["value"].replace("[REDACTED]", CANARY)) for h in request["headers"]]
    statuses = [
        replay.answer(request["method"], request["url"], headers, request["postData"]["text"]).status
        for _ in range(3)
    ]
    assert statuses == [502, 401, 401]  # the blip, the retry's answer, then the last again


def test_the_live_check_runs_against_last_nights_service_replayed(tmp_path: Path) -> None:
    night, _, _ = recorded("faithful", tmp_path, "night")
    with simulator(replay=night / cassette.CASSETTE_NAME, token=CANARY) as sim:
        _, output = live_run(sim, tmp_path / "day")
        assert sim.accepted_tasks == 0  # nothing was created: every answer came from the cassette
    changes = compare.compare(har_of(night), har_of(tmp_path / "day"))
    # Only the read of a task id the check makes up afresh each run is not in last night's cassette.
    assert [line.split(" (")[0] for line in changes.changed] == ["result read of an unknown task_id"]
    assert "not recorded" in changes.changed[0], output


@pytest.mark.slow
def test_hidream_sim_replay_as_a_command(tmp_path: Path) -> None:
    reports, _, _ = recorded("faithful", tmp_path)
    entry = next(e for e in har_of(reports)["log"]["entries"] if e["_probe"] == "version v2")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hidream_sim",
            "--replay",
            str(reports / cassette.CASSETTE_NAME),
            "--until-stdin-closes",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        base_url = child.stdout.readline().strip()
        got = requests.post(
            base_url + "/image/image_upscaler/async",
            data=entry["request"]["postData"]["text"],
            headers={"Authorization": "Bearer standin-token", "Content-Type": "application/json"},
            timeout=10,
        )
        assert got.json()["message"] == json.loads(entry["response"]["content"]["text"])["message"]
    finally:
        child.communicate(input="", timeout=20)
    assert child.returncode == 0
    bad = subprocess.run(
        [sys.executable, "-m", "hidream_sim", "--replay", str(tmp_path / "nope.har")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "cannot read a HAR cassette" in bad.stderr


def test_the_replay_key_ignores_transport_noise_and_a_fresh_request_id() -> None:
    one = request_key(
        "POST",
        "http://a/x?b=1&a=2",
        [("User-Agent", "x"), ("API-User-ID", "u")],
        '{"request_id": "1", "i": 1}',
    )
    two = request_key("post", "https://b/x?a=2&b=1", [("api-user-id", "u")], '{"i":1,"request_id":"2"}')
    assert one == two
    assert one != request_key(
        "POST", "http://a/x?a=2&b=1", [("API-User-ID", "v")], '{"i": 1, "request_id": "1"}'
    )


# --- the observed catalog -----------------------------------------------------------------------------


def test_every_rejection_is_in_the_catalog_and_the_report_table(tmp_path: Path) -> None:
    reports, _, _ = recorded("reject-400", tmp_path)
    found = json.loads((reports / observed.CATALOG_NAME).read_text("utf-8"))
    rows = {(r["operation"], r["about"]): r for r in found["rejections"]}
    auth = rows[("submitUpscaleTask", "Authorization")]
    assert (auth["http_status"], auth["code"]) == (401, 401)
    assert set(auth["probes"]) == {"no token", "invalid token"}
    assert auth["messages"] == {
        "en": ["Unauthorized: missing or invalid token"]
    }  # the auth probes ask for en
    ratio = rows[("submitUpscaleTask", "upsale_ratio")]
    assert ratio["http_status"] == 400
    assert "upsale_ratio 3" in ratio["probes"]
    assert "zh" in ratio["messages"]
    assert found["observed_on"] == auth["observed_on"]
    assert ("getUpscaleTaskResult", "task_id") in rows  # the result read's rejection too
    report = (reports / "live-drift-report.md").read_text("utf-8")
    assert observed.SECTION in report
    assert "| `submitUpscaleTask` | 400 | `1001` | `upsale_ratio` |" in report


def test_propose_gives_spec_examples_with_their_provenance_that_fit_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports, _, _ = recorded("faithful", tmp_path)
    assert cassette_main(["propose", str(reports / observed.CATALOG_NAME)]) == 0
    proposed = yaml.safe_load(capsys.readouterr().out)
    examples = proposed["components"]["examples"]
    assert len(examples) >= 6
    envelope = resolve(load()["components"]["schemas"]["ErrorEnvelope"])
    for name, example in examples.items():
        assert name.startswith("Observed")
        assert example["description"].startswith("observed by the live check on ")
        jsonschema.validate(example["value"], envelope)
    assert cassette_main(["propose", "--docs", str(reports / observed.CATALOG_NAME)]) == 0
    assert (
        "| `submitUpscaleTask` | 401 | 401 | Authorization (no token, invalid token)"
        in capsys.readouterr().out
    )
    assert cassette_main(["propose", str(tmp_path / "missing.json")]) == 2


def test_the_simulator_answers_with_the_observed_codes(tmp_path: Path) -> None:
    catalog = {
        "version": 1,
        "observed_on": "2026-12-01",
        "rejections": [
            {
                "operation": "submitUpscaleTask",
                "http_status": 400,
                "code": 40012,
                "about": "upsale_ratio",
                "messages": {"zh": ["放大倍数错误"], "en": ["bad ratio"]},
                "probes": ["upsale_ratio 3"],
            },
            {
                "operation": "submitUpscaleTask",
                "http_status": 401,
                "code": 10086,
                "about": "Authorization",
                "messages": {"en": ["token invalid"]},
                "probes": ["no token"],
            },
        ],
    }
    path = tmp_path / "observed.json"
    path.write_text(json.dumps(catalog), "utf-8")
    bad_ratio = {"image": "https://example.com/a.png", "upsale_ratio": 3}
    token = {"Authorization": "Bearer standin-token"}
    with simulator("observed-codes", observed=path) as sim:
        zh = requests.post(sim.root + SUBMIT, json=bad_ratio, headers=token, timeout=10)
        en = requests.post(
            sim.root + SUBMIT, json=bad_ratio, headers={**token, "X-accept-language": "en"}, timeout=10
        )
        anonymous = requests.post(sim.root + SUBMIT, json=bad_ratio, timeout=10)
        unknown = requests.post(sim.root + SUBMIT, json={"upsale_ratio": 2}, headers=token, timeout=10)
        own = requests.post(
            sim.url_for("faithful") + "/image/image_upscaler/async", json=bad_ratio, headers=token, timeout=10
        )
    assert (zh.status_code, zh.json()["code"], zh.json()["message"]) == (400, 40012, "放大倍数错误")
    assert en.json()["message"] == "bad ratio"
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, 10086)
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert (unknown.status_code, unknown.json()["code"]) == (200, 1001)  # not observed: its own answer
    assert (own.status_code, own.json()["code"]) == (200, 1001)  # other scenarios keep their own
    assert len(ObservedCodes.load(path)) == 2


def test_a_live_catalog_loads_into_the_simulator_and_the_check_still_passes(tmp_path: Path) -> None:
    night, _, _ = recorded("reject-400", tmp_path, "night")
    with simulator("observed-codes", token=CANARY, observed=night / observed.CATALOG_NAME) as sim:
        status, output = live_run(sim, tmp_path / "day")
    assert status == 0, output
    day = json.loads((tmp_path / "day" / observed.CATALOG_NAME).read_text("utf-8"))
    ratio = next(r for r in day["rejections"] if r["about"] == "upsale_ratio")
    assert ratio["http_status"] == 400  # the faithful simulator says 200; the observed service said 400


def test_a_file_that_is_not_a_cassette_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "x.har").write_text('{"log": {"entries": [{"request": {}}]}}', "utf-8")
    with (
        pytest.raises(ValueError, match=r"x\.har: not a HAR 1\.2 cassette"),
        simulator(replay=tmp_path / "x.har"),
    ):
        pass
    with (
        pytest.raises(ValueError, match="cannot read a HAR cassette"),
        simulator(replay=tmp_path / "none.har"),
    ):
        pass
    with pytest.raises(ValueError, match="not an observed catalog"), simulator(observed=tmp_path / "x.har"):
        pass
