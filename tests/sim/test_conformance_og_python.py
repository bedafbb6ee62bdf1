"""openapi-generator's `python` client (the interop row `og-python`) through the catalog, with only the glue
every user of it writes: a poll loop with the provider's status rule and a download with plain httpx (no
token). Its lifecycle must pass; the fault rows show what it lacks."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hidream_contract.interop.matrix import select
from hidream_contract.interop.targets import generate_batch
from hidream_contract.spec import SPEC_PATH
from hidream_sim import conformance

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("dateutil") is None, reason="the og-python client needs it"),
]
TRANSIENT = {-5, -4, -3, -2, -1, 0, 2}
Adapter = Callable[[dict[str, Any]], dict[str, Any]]


def _wait(api: Any, request: dict[str, Any], task_id: str, surfaced: list[str]) -> str:
    sdk = request["sdk"]
    started = time.monotonic()
    while True:
        read = api.get_upscale_task_result(task_id=task_id)
        surfaced.append(repr(read))
        if read.code != 0:
            return "error"
        subs = (read.result.sub_task_results if read.result is not None else None) or []
        statuses = [sub.task_status for sub in subs]
        if 4 in statuses:
            return "refused"
        if 3 in statuses:
            return "failed"
        if statuses and all(status == 1 for status in statuses):
            if request["action"] == "submit_wait_download":
                if not subs[0].image:
                    return "error"
                answer = httpx.get(subs[0].image, timeout=sdk.get("request_timeout_s", 30))
                answer.raise_for_status()
                Path(request["output_path"]).write_bytes(answer.content)
            return "succeeded"
        if statuses and all(status != 1 and status not in TRANSIENT for status in statuses):
            return "error"
        if time.monotonic() - started > sdk.get("wait_timeout_s", 300):
            return "timeout"
        time.sleep(sdk.get("poll_interval_s", 0.05))


def make_adapter(package: Any) -> Adapter:
    models = importlib.import_module(f"{package.__name__}.models")

    def adapter(request: dict[str, Any]) -> dict[str, Any]:
        sdk = request["sdk"]
        limits = [sdk[key] for key in ("request_timeout_s", "deadline_s") if key in sdk]
        surfaced: list[str] = []
        started = time.monotonic()
        outcome, error_type = "error", None
        config = package.Configuration(host=request["base_url"], access_token=request["token"])
        try:
            with package.ApiClient(config) as client:
                api = package.UpscaleApi(client)
                body = {"image": request["image"], "upsale_ratio": request["upsale_ratio"]}
                if request.get("notify_url"):
                    body["notify_url"] = request["notify_url"]
                timeout = min(limits) if limits else None
                submitted = api.submit_upscale_task(
                    models.UpscaleRequest.from_dict(body), _request_timeout=timeout
                )
                surfaced.append(repr(submitted))
                task_id = submitted.result.task_id if submitted.result is not None else None
                if submitted.code != 0 or not task_id:
                    outcome = "error"
                elif request["action"] in ("submit", "submit_with_callback"):
                    outcome = "submitted"
                else:
                    outcome = _wait(api, request, task_id, surfaced)
        except Exception as error:
            timed_out = "timeout" in type(error).__name__.lower() or "timed out" in str(error).lower()
            outcome = "timeout" if timed_out else "error"
            error_type, surfaced = type(error).__name__, [*surfaced, str(error), repr(error)]
        return {
            "outcome": outcome,
            "error_type": error_type,
            "surfaced": surfaced,
            "seconds": time.monotonic() - started,
        }

    return adapter


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adapter]:
    out = tmp_path_factory.mktemp("og-python")
    (target,) = select(["og-python"])
    (out / target.key).mkdir()
    generate_batch([target], SPEC_PATH, out, out / "log.txt")
    client = str(out / target.key / "client")
    sys.path.insert(0, client)
    try:
        yield make_adapter(importlib.import_module(target.properties["packageName"]))
    finally:
        sys.path.remove(client)


def test_the_og_python_client_passes_the_lifecycle(adapter: Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases("lifecycle"))
    assert len(rows) >= 8
    failed = {row.case_id: row.problems for row in rows if not row.passed}
    assert failed == {}


def test_the_table_shows_what_the_og_python_client_lacks(adapter: Adapter) -> None:
    rows = conformance.run(adapter, conformance.cases(ids=["rate-limit-on-submit"]))
    (row,) = rows
    assert "the POST answered 429 was never retried" in row.problems
