"""openapi-generator's typescript-fetch client compiles, and the example's envelope decoding runs right."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hidream_contract import docs_page
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH, load, resolve_in, submit

pytestmark = pytest.mark.slow  # each test builds on a generated client and runs tsc or node


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A folder of its own: make test runs make lint (which writes build/ts-fetch-client) beside the tests.
    out = tmp_path_factory.mktemp("ts-fetch-client")
    done = subprocess.run(
        [SCRIPTS / "ts-fetch-client", str(SPEC_PATH)],
        cwd=ROOT,
        env={**os.environ, "TS_FETCH_OUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the typescript-fetch client and its example compile" in done.stdout
    return out


def response_example(name: str) -> dict[str, Any]:
    spec = load()
    response = docs_page.operation(spec)["responses"]["200"]["content"]["application/json"]
    value: dict[str, Any] = resolve_in(spec, response["examples"][name])["value"]
    return value


def test_the_generated_client_speaks_the_wire_names(generated: Path) -> None:
    request_model = (generated / "client" / "models" / "UpscaleRequest.ts").read_text(encoding="utf-8")
    assert "upsaleRatio: UpscaleRequestUpsaleRatioEnum;" in request_model
    assert "'upsale_ratio': value['upsaleRatio']" in request_model
    api = (generated / "client" / "apis" / "UpscaleApi.ts").read_text(encoding="utf-8")
    assert f"let urlPath = `{submit().path}`;" in api
    assert 'headerParameters["Authorization"] = `Bearer ${tokenString}`;' in api


def test_the_example_decodes_both_envelopes_at_run_time(generated: Path, tmp_path: Path) -> None:
    # Emit JavaScript from the same sources (CommonJS, so node runs it without a package.json).
    emit = subprocess.run(
        [
            ROOT / "node_modules" / ".bin" / "tsc",
            "-p",
            str(generated / "tsconfig.json"),
            "--noEmit",
            "false",
            "--outDir",
            str(tmp_path / "js"),
            "--module",
            "commonjs",
            "--moduleResolution",
            "node10",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert emit.returncode == 0, emit.stdout + emit.stderr
    accepted, rejected = response_example("accepted"), response_example("rejected")
    probe = f"""
const ex = require({json.dumps(str(tmp_path / "js" / "example.js"))});
const models = require({json.dumps(str(tmp_path / "js" / "client" / "models" / "index.js"))});
const accepted = {json.dumps(accepted)}, rejected = {json.dumps(rejected)};
console.log(JSON.stringify({{
  taskId: ex.taskIdOf(ex.decodeOutcome(accepted)),
  rejected: ex.decodeOutcome(rejected),
  generatedParser: models.SubmitUpscaleTaskOutcomeFromJSON(accepted),
}}));
"""
    ran = subprocess.run(["node", "-e", probe], capture_output=True, text=True, check=False, timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    seen = json.loads(ran.stdout)
    assert seen["taskId"] == accepted["result"]["task_id"]
    assert seen["rejected"] == {
        "rejected": {
            "code": rejected["code"],
            "message": rejected["message"],
            "requestId": rejected["request_id"],
        }
    }
    # The generated parser of the 200 body now reads an accepted answer right: `result` decoded into
    # the task model (camelCase), not left as raw snake_case JSON as the former oneOf parser did.
    assert seen["generatedParser"]["result"] == {
        "taskId": accepted["result"]["task_id"],
        "subTaskIds": accepted["result"]["sub_task_ids"],
    }


def test_a_missing_spec_is_named(tmp_path: Path) -> None:
    done = subprocess.run(
        [SCRIPTS / "ts-fetch-client", str(tmp_path / "nope.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "no OpenAPI document at" in done.stderr
