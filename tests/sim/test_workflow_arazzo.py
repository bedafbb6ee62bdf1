"""The lifecycle as an Arazzo workflow (workflows/upscale.arazzo.yaml): valid Arazzo, and run by Redocly's
respect against the simulator, where it submits, polls until final and reads the output image."""

from __future__ import annotations

import subprocess
from typing import Any

import jsonschema
import pytest
import requests

from hidream_contract import arazzo
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import load
from hidream_sim import simulator
from hidream_sim.png import URL_INPUT_SIZE, png_size

TOKEN = "arazzo-test-token"
IMAGE = "https://storage.example.test/photo.png"


def test_the_open_view_only_adds_what_json_schema_assumes_anyway() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": True}}},
        "if": {"properties": {"code": {"const": 0}}},
        "then": {"required": ["a"], "properties": {"a": True}},
    }
    closed = {"type": "object", "properties": {"x": True}, "additionalProperties": False}
    view = arazzo.open_view({"s": schema, "c": closed, "list": [schema]})
    assert view["s"]["unevaluatedProperties"] is True
    assert view["s"]["properties"]["a"]["unevaluatedProperties"] is True
    assert view["s"]["if"]["unevaluatedProperties"] is True
    assert view["s"]["then"]["unevaluatedProperties"] is True
    assert view["list"][0] == view["s"]
    assert view["c"] == closed  # a schema that says "closed" stays closed
    assert "unevaluatedProperties" not in schema  # the input is not changed
    # Under plain JSON Schema 2020-12 both readings accept and refuse the same instances.
    for instance in (
        {"code": 0, "message": "m", "a": {"b": 1, "c": 2}},
        {"code": 0, "message": "m"},
        {"a": 3},
    ):
        assert jsonschema.Draft202012Validator(schema).is_valid(instance) == jsonschema.Draft202012Validator(
            view["s"]
        ).is_valid(instance)


def test_the_view_respect_reads_is_the_spec_plus_open_schemas(tmp_path: Any) -> None:
    workflow = arazzo.prepare(out=tmp_path)
    text = workflow.read_text("utf-8")
    assert "url: ./openapi-open.yaml" in text
    import yaml

    view = yaml.safe_load((tmp_path / "openapi-open.yaml").read_text("utf-8"))
    assert view["paths"].keys() == load()["paths"].keys()
    assert view["components"]["schemas"]["SubmitUpscaleTaskOutcome"]["then"]["unevaluatedProperties"] is True


def test_the_workflow_is_valid_arazzo() -> None:
    done = subprocess.run(
        [ROOT / "node_modules" / ".bin" / "redocly", "lint", "workflows/upscale.arazzo.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Your API description is valid" in done.stdout + done.stderr


@pytest.mark.slow
def test_respect_runs_the_lifecycle_against_the_simulator() -> None:
    with simulator(token=TOKEN) as sim:
        run = arazzo.run(sim.base_url, TOKEN, IMAGE, upsale_ratio=4)
        assert run.status == 0, run.output
        (sub,) = run.last_body("output")["result"]["sub_task_results"]
        assert sub["task_status"] == 1
        image = requests.get(sub["image"], timeout=10)
        assert png_size(image.content) == (URL_INPUT_SIZE[0] * 4, URL_INPUT_SIZE[1] * 4)
        assert sim.billed == 1  # the submit ran once
        polls = [step for step in run.steps if step["stepId"] == "poll"]
        assert len(polls) == 3  # queued, in progress, succeeded: one read each
        failed = {check["condition"] for step in run.steps for check in step["checks"] if not check["passed"]}
        assert failed == {
            "$..sub_task_results[?@.task_status > 0 && @.task_status != 2]"
        }  # the 0 and 2 reads
    assert "Workflows: 1 passed, 1 total" in run.output
    assert TOKEN not in run.output
    assert TOKEN not in str(run.report)


@pytest.mark.slow
def test_a_failing_task_fails_the_workflow_at_the_output_step() -> None:
    with simulator("task-fails", TOKEN) as sim:
        run = arazzo.run(sim.base_url, TOKEN, IMAGE)
    assert run.status != 0
    assert run.last_body("poll")["result"]["sub_task_results"][0]["task_status"] == 3  # final: polling ended
    (output,) = [step for step in run.steps if step["stepId"] == "output"]
    failed = [check.get("condition") for check in output["checks"] if not check["passed"]]
    assert "$..sub_task_results[?@.task_status == 1]" in failed
    assert "Workflows: 1 failed, 1 total" in run.output


@pytest.mark.slow
def test_respects_closed_reading_of_the_spec_fails_correct_answers() -> None:
    """Why the run gives respect the open view: with the spec as it is, a correct answer fails."""
    with simulator(token=TOKEN) as sim:
        run = arazzo.run(sim.base_url, TOKEN, IMAGE, open_schemas=False)
    assert run.status != 0
    assert 'must match "then" schema' in run.output
    assert 'unevaluated properties: "message"' in run.output


def test_make_workflow_is_a_script() -> None:
    assert (SCRIPTS / "workflow").stat().st_mode & 0o111
