"""The TypeScript consumer (scripts/ts-consumer) breaks when the spec breaks it, and only then."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hidream_contract.mock import running_mock
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import load, submit

pytestmark = pytest.mark.slow  # each test generates TypeScript and runs tsc

Change = Callable[[dict[str, Any]], None]


def rename_response_task_id(spec: dict[str, Any]) -> None:
    task = spec["components"]["schemas"]["UpscaleTask"]
    task["properties"]["taskId"] = task["properties"].pop("task_id")
    accepted = spec["components"]["schemas"]["SubmitUpscaleTaskOutcome"]["then"]["properties"]["result"]
    accepted["properties"]["taskId"] = accepted["properties"].pop("task_id")
    accepted["required"] = ["taskId" if name == "task_id" else name for name in accepted["required"]]


def rename_request_upsale_ratio(spec: dict[str, Any]) -> None:
    body = spec["components"]["schemas"]["UpscaleRequest"]
    body["properties"]["upscale_ratio"] = body["properties"].pop("upsale_ratio")
    body["required"] = ["upscale_ratio" if name == "upsale_ratio" else name for name in body["required"]]


def add_optional_response_field(spec: dict[str, Any]) -> None:
    task = spec["components"]["schemas"]["UpscaleTask"]
    task["properties"]["eta_seconds"] = {"type": "integer", "description": "An added, optional field."}


def run_consumer(tmp_path: Path, change: Change) -> subprocess.CompletedProcess[str]:
    spec = load()
    change(spec)
    changed = tmp_path / "spec.yaml"
    changed.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return subprocess.run(
        [SCRIPTS / "ts-consumer", str(changed)],
        cwd=ROOT,
        env={**os.environ, "TS_CONSUMER_OUT": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("change", "broken_name"),
    [
        pytest.param(rename_response_task_id, "task_id", id="response-task_id-renamed"),
        pytest.param(rename_request_upsale_ratio, "upsale_ratio", id="request-upsale_ratio-renamed"),
    ],
)
def test_a_breaking_spec_change_fails_the_typescript_check(
    tmp_path: Path, change: Change, broken_name: str
) -> None:
    done = run_consumer(tmp_path, change)
    assert done.returncode == 1, done.stdout + done.stderr
    # tsc names the line of example.ts and the field that is gone.
    assert "sdk_consumers/typescript/example.ts(" in done.stdout
    assert f"'{broken_name}'" in done.stdout
    assert "the TypeScript consumer does not compile" in done.stderr


def test_a_compatible_spec_change_still_compiles(tmp_path: Path) -> None:
    done = run_consumer(tmp_path, add_optional_response_field)
    assert done.returncode == 0, done.stdout + done.stderr
    types = (tmp_path / "out" / "hidream-api.d.ts").read_text(encoding="utf-8")
    assert "eta_seconds?: number" in types  # the change did reach the generated types


def unchanged(_spec: dict[str, Any]) -> None:
    pass


@pytest.fixture(scope="module")
def consumer_of_the_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/ts-consumer on the spec as it is (passed): the folder with its types and tsconfig."""
    folder = tmp_path_factory.mktemp("ts-consumer")
    done = run_consumer(folder, unchanged)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "out"


def test_fields_with_defaults_stay_optional_for_the_caller(consumer_of_the_spec: Path) -> None:
    types = (consumer_of_the_spec / "hidream-api.d.ts").read_text(encoding="utf-8")
    assert "upsale_ratio: 2 | 4;" in types
    assert 'version?: "v1";' in types
    assert "request_id?: string;" in types


def test_a_missing_spec_is_named(tmp_path: Path) -> None:
    done = subprocess.run(
        [SCRIPTS / "ts-consumer", str(tmp_path / "nope.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert f"no OpenAPI document at {tmp_path / 'nope.yaml'}" in done.stderr


# Run by node against the mock: the base64 example at ratio 4 with a language header, then a
# request without a token (read through the same envelope reader).
PROBE = """
const ex = require(process.env.EXAMPLE_JS);
const base = process.env.BASE;
(async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const body = ex.requestForBytes(png, 4);
  const accepted = await ex.submitUpscaleTask(base, "test-token", body, { "X-accept-language": "en" });
  const { url } = ex.buildSubmit(base, "", ex.requestForUrl("https://example.com/a.png"));
  const headers = { "Content-Type": "application/json" };
  const noToken = await fetch(url, { method: "POST", headers, body: "{}" });
  const rejected = ex.readEnvelope(await noToken.json());
  console.log(JSON.stringify({ accepted, rejected, status: noToken.status }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.prism
def test_the_consumer_submits_and_reads_the_envelope_against_the_mock(
    consumer_of_the_spec: Path, tmp_path: Path
) -> None:
    """Not only compiled: the same code, emitted as JavaScript, talks to the spec's Prism mock."""
    tsc = str(ROOT / "node_modules" / ".bin" / "tsc")
    emit = subprocess.run(
        [
            *(tsc, "-p", str(consumer_of_the_spec / "tsconfig.json"), "--noEmit", "false"),
            *("--outDir", str(tmp_path / "js"), "--module", "commonjs", "--moduleResolution", "node10"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert emit.returncode == 0, emit.stdout + emit.stderr
    with running_mock() as base:
        env = {**os.environ, "BASE": base, "EXAMPLE_JS": str(tmp_path / "js" / "example.js")}
        ran = subprocess.run(
            ["node", "-e", PROBE], env=env, capture_output=True, text=True, check=False, timeout=120
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    seen = json.loads(ran.stdout)
    spec = load()
    content = spec["paths"][submit().path]["post"]["responses"]["200"]["content"]
    sample = content["application/json"]["examples"]["accepted"]["value"]
    assert seen["accepted"] == {
        "ok": True,
        "taskId": sample["result"]["task_id"],
        "subTaskIds": sample["result"]["sub_task_ids"],
        "requestId": sample["request_id"],
    }
    assert seen["status"] == 401
    assert seen["rejected"]["ok"] is False
    assert seen["rejected"]["code"] != 0
