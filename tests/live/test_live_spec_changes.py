"""The live check against edited copies of the spec, the maintainer's way (issue 27): each kind of
change the provider makes — an optional body field without an example, a new allowed value, an optional
header, a header removed, a second operation of the same shape — and the check does the right thing:
no crash, never exit 1 for an error of its own, the new value or operation exercised (or named as not
exercised), and a service that does not follow the change reported as drift.

Each run is `python -m hidream_contract.live`'s `main` in a fresh interpreter whose project root is a
temporary copy holding the edited spec (and the provider's page beside it), against the simulator,
which plays the service as it is — it knows nothing of the edit. The run's output and report are
checked like every other live run's (tests/live/test_contract_live.py): the canary token in no output
and no file, the stand-in billed no more than the budget, every request it saw counted by the guard.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from hidream_contract.live.probes import default_budget, paid_probes
from hidream_contract.live.requests_model import validator_for
from hidream_contract.live.surface import documented_surface
from hidream_contract.live.values import (
    CHECK_ID,
    DOC_URL,
    RUN_ID,
    NoValidValue,
    callback_url_fields,
    valid_value,
)
from hidream_contract.project import ROOT
from hidream_contract.spec import SPEC_PATH, load, submit
from hidream_sim import StandIn, running_standin

CANARY = "canary-tok-5f0c7e19ab"
FAST = {
    "HIDREAM_LIVE_MAX_RPS": "1000",
    "HIDREAM_LIVE_MAX_RETRY_WAIT_S": "0",
    "HIDREAM_LIVE_FUZZ_EXAMPLES": "5",
    "HIDREAM_LIVE_RESULT_INTERVAL_S": "0",
}
# The live check's entry point with the project root pointed at the copy: the spec's one pointer
# (pyproject.toml) and everything read from it then come from there.
RUN = """
import sys
from pathlib import Path
import hidream_contract.project as project
project.ROOT = Path(sys.argv[1])
from hidream_contract.live.__main__ import main
raise SystemExit(main())
"""
SUBMIT = submit()
SYNC_PATH = SUBMIT.path.replace("/async", "/sync")
COUNTED = sum(1 for item in documented_surface() if item.counted)  # of the spec as it is

Edit = Callable[[dict[str, Any]], None]


def _submit_op(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][SUBMIT.path][SUBMIT.method.lower()]
    return found


def add_seed(spec: dict[str, Any]) -> None:
    """An optional body field without `examples`."""
    spec["components"]["schemas"]["UpscaleRequest"]["properties"]["seed"] = {
        "type": "integer",
        "minimum": 0,
        "description": "A seed for reproducible results.",
    }


def add_ratio_8(spec: dict[str, Any]) -> None:
    ratio = spec["components"]["schemas"]["UpscaleRequest"]["properties"]["upsale_ratio"]
    ratio["enum"].append(8)
    ratio["x-enum-varnames"].append("X8")


def add_trace_header(spec: dict[str, Any]) -> None:
    spec["components"]["parameters"]["TraceId"] = {
        "name": "X-Trace-ID",
        "in": "header",
        "required": False,
        "description": "Your trace id.",
        "schema": {"type": "string"},
    }
    _submit_op(spec)["parameters"].append({"$ref": "#/components/parameters/TraceId"})


def remove_user_id(spec: dict[str, Any]) -> None:
    op = _submit_op(spec)
    op["parameters"] = [p for p in op["parameters"] if p.get("$ref") != "#/components/parameters/ApiUserId"]


def add_sync_operation(spec: dict[str, Any]) -> None:
    twin = copy.deepcopy(_submit_op(spec))
    twin["operationId"] = SUBMIT.operation_id + "Sync"
    twin.pop("callbacks", None)
    spec["paths"][SYNC_PATH] = {"post": twin}


def field_without_a_buildable_value(spec: dict[str, Any]) -> None:
    """An optional field whose schema the check cannot build a value for (a pattern, no example)."""
    spec["components"]["schemas"]["UpscaleRequest"]["properties"]["style"] = {
        "type": "string",
        "pattern": "^[A-Z]{3}-[0-9]{4}$",
    }


def break_the_examples(spec: dict[str, Any]) -> None:
    """No request examples: the check cannot build the provider's sample (an error of the check)."""
    op = _submit_op(spec)
    op["requestBody"]["content"]["application/json"].pop("examples")


@dataclass
class Run:
    status: int
    output: str
    report: str
    standin: StandIn


def run_on_copy(tmp_path: Path, edit: Edit, mode: str = "faithful", **env: str) -> Run:
    root = tmp_path / "root"
    shutil.copytree(SPEC_PATH.parent, root / SPEC_PATH.parent.relative_to(ROOT))
    spec = load()
    edit(spec)
    relative = SPEC_PATH.relative_to(ROOT)
    (root / relative).write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with (ROOT / "pyproject.toml").open("rb") as file:
        assert tomllib.load(file)["tool"]["hatch"]["metadata"]["hooks"]["custom"]["spec"] == str(relative)
    (root / "pyproject.toml").write_text(
        f'[tool.hatch.metadata.hooks.custom]\nspec = "{relative}"\n', encoding="utf-8"
    )
    reports = tmp_path / "reports"
    base = {k: v for k, v in os.environ.items() if not k.startswith("HIDREAM_")}
    with running_standin(mode, token=CANARY) as standin:
        settings = {
            **FAST,
            "HIDREAM_API_TOKEN": CANARY,
            "HIDREAM_API_BASE_URL": standin.base_url,
            "HIDREAM_LIVE_REPORTS_DIR": str(reports),
            **env,
        }
        done = subprocess.run(
            [sys.executable, "-c", RUN, str(root)],
            env={**base, **settings},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert CANARY not in output
    report_file = reports / "live-drift-report.md"
    report = report_file.read_text("utf-8") if report_file.exists() else ""
    for path in reports.rglob("*") if reports.exists() else []:
        assert CANARY not in path.read_text("utf-8", errors="replace"), path.name
    budget = re.search(r"the budget allowed (\d+)", output)
    if budget is not None:
        assert standin.billed_tasks <= int(budget.group(1))
    counted = re.search(r"requests sent: (\d+)", report)
    if counted is not None:
        assert int(counted.group(1)) == standin.requests
    return Run(done.returncode, output, report, standin)


def coverage_row(report: str, label: str) -> str:
    rows = [line for line in report.splitlines() if line.startswith(f"| {label} |")]
    assert rows, f"no coverage row for {label}"
    return rows[0]


@pytest.mark.slow
def test_an_optional_field_without_an_example_gets_a_valid_value_and_is_exercised(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, add_seed)
    assert run.status == 0, run.output  # the stand-in ignores unknown fields: it takes `seed`
    assert "the service matches the spec (exit 0)" in run.output
    row = coverage_row(run.report, "`seed`")
    assert "every optional field and header" in row
    assert "accepted (HTTP 200)" in row


@pytest.mark.slow
def test_a_new_allowed_value_is_sent_and_a_service_without_it_is_drift(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, add_ratio_8)
    assert run.status == 1, run.output  # the stand-in still allows only 2 and 4
    assert "drift: accepted_when_valid on upsale_ratio (upsale_ratio 8 (a documented value))" in run.output
    assert "rejected" in coverage_row(run.report, "`upsale_ratio` = 8")
    # One more paid probe, so the default budget is one more; the stand-in refuses it: no extra task.
    assert f"tasks: {len(paid_probes())} created; the budget allowed {default_budget() + 1}" in run.output
    assert run.standin.billed_tasks == len(paid_probes())


@pytest.mark.slow
def test_a_new_optional_header_is_sent(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, add_trace_header)
    assert run.status == 0, run.output
    assert "accepted (HTTP 200)" in coverage_row(run.report, "`X-Trace-ID`")


@pytest.mark.slow
def test_a_removed_optional_header_is_no_longer_counted(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, remove_user_id)
    assert run.status == 0, run.output
    assert "| `API-User-ID` |" not in run.report
    # The header and its item are gone; everything else is still exercised.
    assert f"documented surface exercised {COUNTED - 1}/{COUNTED - 1}" in run.output


@pytest.mark.slow
def test_a_second_operation_of_the_same_shape_is_counted_and_probed(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, add_sync_operation)
    assert run.status == 1, run.output  # the stand-in has no such operation: 404
    assert f"| `POST {SYNC_PATH}` (submitUpscaleTaskSync) **(not covered)** | operation |" not in run.report
    assert f"- operation: `POST {SYNC_PATH}`" in run.report
    assert "status_code_conformance" in run.report
    assert f"curl -X POST http://127.0.0.1:{run.standin.base_url.split(':')[-1].split('/')[0]}" in run.report
    assert f"{COUNTED + 1} of {COUNTED + 1}" in run.report  # the twin is counted (and answered: a 404)


@pytest.mark.slow
def test_a_field_the_check_cannot_value_is_named_not_exercised_never_a_crash(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, field_without_a_buildable_value)
    assert run.status == 2, run.output
    assert "incomplete: no drift in what was exercised" in run.output
    assert "not exercised: `style`" in run.output
    assert "give it `examples` in the spec" in run.report


@pytest.mark.slow
def test_an_error_of_the_check_is_exit_2_never_1(tmp_path: Path) -> None:
    run = run_on_copy(tmp_path, break_the_examples)
    assert run.status == 2, run.output
    assert "internal error of the check: KeyError" in run.output
    assert run.standin.requests == 0


# --- values from a schema (values.py) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "examples": [7]}, 7),
        ({"type": "integer", "minimum": 0}, 0),
        ({"type": "integer", "exclusiveMinimum": 5, "multipleOf": 4}, 8),
        ({"type": "integer", "maximum": -3}, -3),
        ({"type": "number", "minimum": 0.5}, 0.5),
        ({"type": "boolean"}, True),
        ({"type": "string", "enum": ["a", "b"], "default": "a"}, "a"),
        ({"type": "string", "const": "fixed"}, "fixed"),
        ({"type": "string", "format": "uri"}, DOC_URL),
        ({"type": "string", "maxLength": 4}, "hidr"),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1, 1]),
        ({"type": ["null", "integer"], "minimum": 3}, 3),
    ],
)
def test_a_valid_value_is_built_from_the_schema_and_valid(schema: dict[str, Any], expected: Any) -> None:
    value = valid_value(schema, name="f")
    assert value == expected
    assert validator_for(schema).is_valid(value)


def test_values_from_a_schema_follow_the_spec_not_a_list() -> None:
    # A free string is unique to the run (an id may be deduplicated), the same all run long.
    text = valid_value({"type": "string", "minLength": 30}, name="f")
    assert text.startswith(CHECK_ID)
    assert len(text) >= 30
    assert valid_value({"type": "string"}, name="g") == valid_value({"type": "string"}, name="h") == RUN_ID
    # A header's first value that is not its default: sending the default says little.
    assert valid_value({"enum": ["zh", "en"], "default": "zh"}, name="h", prefer_non_default=True) == "en"
    # The field a callback of the submit takes its URL from gets a documentation host, read from the
    # spec's callback expression, whatever the field is called.
    assert callback_url_fields() == {"notify_url"}
    assert valid_value({"type": "string"}, name="notify_url") == DOC_URL
    with pytest.raises(NoValidValue, match="give it `examples` in the spec"):
        valid_value({"type": "string", "pattern": "^[0-9]{4}$"}, name="code")
