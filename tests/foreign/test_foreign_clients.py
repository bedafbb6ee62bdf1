"""Every double, driven the way a client that knows nothing of this repository drives it.

The doubles: the Prism mock (scripts/mock), the simulator (hidream_sim) and Prism's validating
proxy (scripts/proxy) in front of the stand-in. The clients: the provider's page's Python sample (only its
token, URL and indentation restored) and its curl sample, a plain `requests` flow and a `curl` flow at the
documented URL with the double's host (submit, then the result read). A recording forwarder in front of
each double keeps the traffic, and openapi-core, a validator that shares no code with this repository,
holds every recorded exchange to the spec.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI

from hidream_contract.mock import running_proxy
from hidream_contract.project import ROOT
from hidream_contract.spec import load
from hidream_sim import DEFAULT_TOKEN, running_standin
from tests.foreign.page import (
    documented_url,
    on_host,
    python_sample,
    reindent,
    runnable_curl_sample,
    runnable_python_sample,
)
from tests.foreign.recorder import Recorder, recording, violations

RUN_TIMEOUT_S = 60
# The provider's own client reads a task's result at the submit's URL plus this (our inference: spec).
RESULTS_SUFFIX = "/results"


@dataclass(frozen=True)
class Double:
    name: str
    base_url: str  # what a user is told to configure: the double's origin + the documented base path
    token: str


@pytest.fixture(scope="module")
def standin_base_url() -> Iterator[str]:
    with running_standin("faithful") as standin:
        yield standin.base_url


@pytest.fixture(scope="module")
def proxy_base_url(standin_base_url: str) -> Iterator[str]:
    with running_proxy(standin_base_url) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("mock", marks=pytest.mark.prism),
        "standin",
        pytest.param("proxy", marks=[pytest.mark.prism, pytest.mark.slow]),
    ]
)
def double(request: pytest.FixtureRequest) -> Double:
    name = request.param
    if name == "mock":
        return Double(name, request.getfixturevalue("mock_base_url"), "any-token")
    if name == "standin":
        return Double(name, request.getfixturevalue("standin_base_url"), DEFAULT_TOKEN)
    return Double(name, request.getfixturevalue("proxy_base_url"), DEFAULT_TOKEN)


@pytest.fixture
def recorder(double: Double) -> Iterator[Recorder]:
    with recording(double.base_url) as recorder:
        yield recorder


@pytest.fixture(scope="module")
def api() -> OpenAPI:
    return OpenAPI.from_dict(load())


def assert_traffic_follows_the_spec(api: OpenAPI, recorder: Recorder, expected: int) -> None:
    assert len(recorder.exchanges) == expected, [e.label for e in recorder.exchanges]
    for exchange in recorder.exchanges:
        assert violations(api, exchange) == [], exchange.label


def submit_url(recorder: Recorder) -> str:
    return on_host(documented_url(), recorder.base_url)


# --- The page's samples -------------------------------------------------------------------------------


def test_the_pages_python_sample_does_not_run_as_printed() -> None:
    """docs/spec.md says why: its token is a placeholder that is not Python, and its indentation is lost."""
    printed = python_sample()
    with pytest.raises(SyntaxError) as placeholder:
        compile(printed, "page-sample", "exec")
    assert "<token>" in (placeholder.value.text or "")
    with pytest.raises(IndentationError):  # the token alone is not enough
        compile(printed.replace("<token>", "'t'"), "page-sample", "exec")
    with pytest.raises(SyntaxError):  # nor the indentation alone
        compile(reindent(printed), "page-sample", "exec")
    compile(runnable_python_sample("http://127.0.0.1:1/api-pub/gw/v3", "t"), "page-sample", "exec")


def test_the_pages_python_sample_submits_a_task(double: Double, recorder: Recorder, api: OpenAPI) -> None:
    run = subprocess.run(
        [sys.executable, "-"], input=runnable_python_sample(recorder.base_url, double.token),
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    [exchange] = recorder.exchanges
    assert exchange.headers.get("API-User-ID") == ""  # sent as the sample writes it
    task_id = json.loads(exchange.response_body)["result"]["task_id"]
    assert run.stdout.strip() == task_id  # the sample's own happy path printed it
    assert_traffic_follows_the_spec(api, recorder, expected=1)


# What each double answers the page's curl sample as printed: its body has a trailing comma, so it is not
# JSON. Only the stand-in answers with the envelope; both Prism doubles answer Prism's own document
# (docs/spec.md, "How each double answers").
PRISM_INVALID_JSON = {"error": {"code": "invalid_json", "message": "Invalid JSON"}}


def test_the_pages_curl_sample_is_refused_for_its_trailing_comma(double: Double, recorder: Recorder) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    argv = [*runnable_curl_sample(recorder.base_url, double.token), "--silent", "--max-time", "30"]
    assert argv[0] == "curl"
    assert "-v" in argv  # as printed: its -v talks on stderr, the answer is on stdout
    run = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    assert run.returncode == 0, run.stderr
    [exchange] = recorder.exchanges
    answer = json.loads(run.stdout)
    if double.name == "standin":
        assert exchange.status == 200
        assert answer["code"] != 0  # the envelope of a rejection
        assert answer["message"]
    else:
        assert (exchange.status, answer) == (400, PRISM_INVALID_JSON)
    # The comma is the only reason: the same body without it is accepted.
    fixed = requests.post(
        exchange.origin + exchange.path,
        data=exchange.body.replace(b",\n}", b"\n}"),
        headers={"Authorization": f"Bearer {double.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert (fixed.status_code, fixed.json()["code"]) == (200, 0)


# --- Plain flows at the documented URL ----------------------------------------------------------------


def test_a_plain_requests_flow_submits_then_reads(double: Double, recorder: Recorder, api: OpenAPI) -> None:
    headers = {"Authorization": f"Bearer {double.token}"}
    url = submit_url(recorder)
    with requests.Session() as http:
        submitted = http.post(
            url, json={"image": "https://example.com/cat.png", "upsale_ratio": 2}, headers=headers, timeout=30
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["code"] == 0, submitted.text
        task_id = submitted.json()["result"]["task_id"]
        read = http.get(url + RESULTS_SUFFIX, params={"task_id": task_id}, headers=headers, timeout=30)
    assert read.status_code == 200, read.text
    assert read.json()["code"] == 0, read.text
    assert isinstance(read.json()["result"]["sub_task_results"], list)
    assert_traffic_follows_the_spec(api, recorder, expected=2)


def _curl_json(argv: list[str]) -> Any:
    run = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail-with-body", "--max-time", "30", *argv],
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    return json.loads(run.stdout)


def test_a_plain_curl_flow_submits_then_reads(double: Double, recorder: Recorder, api: OpenAPI) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    auth = ["-H", f"Authorization: Bearer {double.token}"]
    url = submit_url(recorder)
    body = '{"image": "https://example.com/cat.png", "upsale_ratio": 4, "version": "v1"}'
    submitted = _curl_json([*auth, "-H", "Content-Type: application/json", "-X", "POST", "-d", body, url])
    assert submitted["code"] == 0, submitted
    read = _curl_json(
        [
            *auth,
            "--get",
            "--data-urlencode",
            f"task_id={submitted['result']['task_id']}",
            url + RESULTS_SUFFIX,
        ]
    )
    assert read["code"] == 0, read
    assert isinstance(read["result"]["sub_task_results"], list)
    assert_traffic_follows_the_spec(api, recorder, expected=2)


# --- The validators can fail --------------------------------------------------------------------------


def test_openapi_core_finds_a_drifted_answer_in_recorded_traffic(api: OpenAPI) -> None:
    """The control: the same plain flow against a stand-in that renames `result.task_id`."""
    with running_standin("rename-task-id") as standin, recording(standin.base_url) as recorder:
        answer = requests.post(
            submit_url(recorder),
            json={"image": "https://example.com/cat.png", "upsale_ratio": 2},
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            timeout=30,
        )
        assert answer.json()["result"]["taskId"]
    [exchange] = recorder.exchanges
    found = violations(api, exchange)
    assert found
    assert all(v.startswith("response:") for v in found), found


@pytest.mark.prism
@pytest.mark.slow
def test_the_validating_proxy_reports_a_drifted_answer() -> None:
    with running_standin("rename-task-id") as standin, running_proxy(standin.base_url) as proxy:
        answer = requests.post(
            on_host(documented_url(), proxy),
            json={"image": "https://example.com/cat.png", "upsale_ratio": 2},
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            timeout=30,
        )
    assert answer.status_code >= 500, answer.text  # `prism proxy --errors`: a violation is an error
    assert "task_id" in answer.text, answer.text  # ... that names what is wrong


# --- What each double answers outside the spec (docs/spec.md, "How each double answers") ---------------

ENVELOPE, PRISM = "envelope", "prism"  # the spec's envelope, or Prism's own problem document
OUTSIDE_THE_SPEC: dict[str, dict[str, tuple[int, str]]] = {
    # request: {double: (HTTP status, what the body is)}
    "schema-breaking body": {"mock": (400, ENVELOPE), "proxy": (422, PRISM), "standin": (200, ENVELOPE)},
    "no token": {"mock": (401, ENVELOPE), "proxy": (401, PRISM), "standin": (401, ENVELOPE)},
    "unknown path": {"mock": (404, PRISM), "proxy": (404, PRISM), "standin": (404, ENVELOPE)},
    "undeclared method": {"mock": (405, PRISM), "proxy": (405, PRISM), "standin": (405, ENVELOPE)},
    "read without task_id": {"mock": (400, ENVELOPE), "proxy": (422, PRISM), "standin": (200, ENVELOPE)},
}


def _send(kind: str, url: str, token: str) -> requests.Response:
    auth = {"Authorization": f"Bearer {token}"}
    if kind == "schema-breaking body":
        return requests.post(
            url, json={"image": "https://example.com/cat.png", "upsale_ratio": 3}, headers=auth, timeout=30
        )
    if kind == "no token":
        return requests.post(
            url, json={"image": "https://example.com/cat.png", "upsale_ratio": 2}, timeout=30
        )
    if kind == "unknown path":
        return requests.post(url + "/nowhere", json={}, headers=auth, timeout=30)
    if kind == "undeclared method":
        return requests.delete(url, headers=auth, timeout=30)
    return requests.get(url + RESULTS_SUFFIX, headers=auth, timeout=30)


@pytest.mark.parametrize("kind", list(OUTSIDE_THE_SPEC))
def test_each_double_answers_outside_the_spec_as_documented(
    double: Double, recorder: Recorder, kind: str
) -> None:
    answer = _send(kind, submit_url(recorder), double.token)
    status, body = OUTSIDE_THE_SPEC[kind][double.name]
    assert answer.status_code == status, answer.text
    document = answer.json()
    if body == ENVELOPE:
        assert isinstance(document["code"], int)
        assert document["code"] != 0
        assert isinstance(document["message"], str)
    else:
        assert document["status"] == status
        assert str(document["type"]).startswith("https://stoplight.io/prism/errors#")


def test_the_docs_table_says_what_the_doubles_answer() -> None:
    """docs/spec.md's table and OUTSIDE_THE_SPEC (which the test above holds to the doubles) agree."""
    docs = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    table = docs.split("### How each double answers")[1].split("\n\n")[2]
    header, _rule, *rows = [line.strip("|").split(" | ") for line in table.splitlines()]
    assert [h.strip() for h in header] == [
        "Request",
        "Prism mock",
        "Validating proxy (before the upstream)",
        "Stand-in",
    ]
    found: dict[str, dict[str, tuple[int, str]]] = {}
    for label, *cells in rows:
        kind = label.split(" (")[0].strip()
        if kind == "invalid JSON":
            continue  # held by test_the_pages_curl_sample_is_refused_for_its_trailing_comma
        found[kind] = {
            name: (int(cell.strip()[:3]), PRISM if "Prism's" in cell else ENVELOPE)
            for name, cell in zip(["mock", "proxy", "standin"], cells, strict=True)
        }
    assert found == OUTSIDE_THE_SPEC
