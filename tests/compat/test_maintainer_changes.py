"""The maintainer's way, as docs/compat.md walks it: each kind of provider change made to a copy of the
spec, the client regenerated (openapi-python-client and the surface, into build/compat/, as the gate does),
then what users get is checked: the client's keywords (and mypy), the CLI's flags and their help, the
completeness check and the public-API judge.

| change | the client and the CLI | the gate |
| --- | --- | --- |
| optional body field `seed` | `seed=` (typed), `--seed` with the spec's description | compatible, complete |
| value 8 for `upsale_ratio` | `upsale_ratio=8`, `--ratio 8` | compatible, complete |
| optional header `X-Trace-ID` | `x_trace_id=`, `--x-trace-id` | compatible, complete |
| header `API-User-ID` removed | `user_id`, `--user-id` gone; the rest still sent | breaking (keyword, flag) |
| a second operation, same shape | a CLI command; a typed method only by hand | compatible; gap: the method |
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hidream_contract.compat import public
from hidream_contract.compat.loading import Spec, load_file, parse_spec
from hidream_contract.compat.sdk import generate_python
from hidream_contract.spec import SPEC_PATH, SUBMIT_ID

pytestmark = pytest.mark.slow

SEED_HELP = "A seed for the upscaler's randomness: the same seed repeats a result."
TRACE_HELP = "A trace id the gateway logs with the request."


def _post(spec: Spec) -> dict[str, Any]:
    return next(
        definition
        for item in spec["paths"].values()
        for definition in item.values()
        if isinstance(definition, dict) and definition.get("operationId") == SUBMIT_ID
    )


def add_seed(spec: Spec) -> None:
    spec["components"]["schemas"]["UpscaleRequest"]["properties"]["seed"] = {
        "type": "integer",
        "minimum": 0,
        "description": f"{SEED_HELP} / 随机种子。",
    }


def add_ratio_8(spec: Spec) -> None:
    ratio = spec["components"]["schemas"]["UpscaleRequest"]["properties"]["upsale_ratio"]
    ratio["enum"].append(8)
    ratio["x-enum-varnames"].append("X8")


def add_trace_header(spec: Spec) -> None:
    _post(spec)["parameters"].append(
        {
            "name": "X-Trace-ID",
            "in": "header",
            "required": False,
            "description": f"{TRACE_HELP} / 追踪 ID。",
            "schema": {"type": "string"},
        }
    )


def remove_user_header(spec: Spec) -> None:
    post = _post(spec)
    post["parameters"] = [p for p in post["parameters"] if p != {"$ref": "#/components/parameters/ApiUserId"}]
    del spec["components"]["parameters"]["ApiUserId"]


def add_sync_operation(spec: Spec) -> None:
    operation = copy.deepcopy(_post(spec))
    operation["operationId"] = "submitUpscaleTaskSync"
    operation["summary"] = "Submit an image-upscale task, answered at once / 提交图片增强任务(同步)"
    operation.pop("callbacks", None)
    spec["paths"]["/image/image_upscaler/sync"] = {"post": operation}


CHANGES: dict[str, Callable[[Spec], None]] = {
    "seed": add_seed,
    "ratio 8": add_ratio_8,
    "X-Trace-ID": add_trace_header,
    "API-User-ID removed": remove_user_header,
    "second operation": add_sync_operation,
}


@pytest.fixture(scope="module")
def base() -> Spec:
    return load_file(SPEC_PATH)


@pytest.fixture(scope="module")
def base_surface(base: Spec) -> dict[str, Any]:
    described: dict[str, Any] = public._subprocess("describe", [generate_python(base)])
    return described


def changed(base: Spec, name: str) -> tuple[Path, dict[str, Any], list[dict[str, str]]]:
    """The variant regenerated: its folder, what `hidream` looks like over it, its completeness gaps."""
    spec = copy.deepcopy(base)
    CHANGES[name](spec)
    spec = parse_spec(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), name)  # a valid document
    folder = generate_python(spec)
    return folder, public._subprocess("describe", [folder]), public._subprocess("complete", [folder])


def _submit(surface: dict[str, Any]) -> dict[str, Any]:
    keywords: dict[str, Any] = surface["methods"]["HiDream.upscale"]["submit"]
    return keywords


def _flags(surface: dict[str, Any], command: str = "submit") -> dict[str, Any]:
    flags: dict[str, Any] = surface["cli"]["commands"][command]["flags"]
    return flags


def _errors(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.rule, f.where) for f in public.compare(old, new) if f.level == "error"]


def test_an_optional_body_field_reaches_users_typed_and_the_gate_calls_it_compatible(
    base: Spec, base_surface: dict[str, Any], tmp_path: Path
) -> None:
    folder, surface, gaps = changed(base, "seed")
    assert _submit(surface)["seed"] == {"required": False, "type": "int | None"}
    assert _flags(surface)["--seed"]["help"].startswith(SEED_HELP)
    assert gaps == []  # `seed=7` and `--seed 7` both arrived as "seed": 7
    assert _errors(base_surface, surface) == []
    # mypy sees the new keyword (and still refuses one the spec does not have).
    snippet = tmp_path / "use_seed.py"
    snippet.write_text(
        "from hidream import HiDream\n\n"
        "client = HiDream(token='t')\n"
        "client.upscale.submit('https://example.test/a.png', seed=7)\n"
        "client.upscale.submit('https://example.test/a.png', seedz=7)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(snippet)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(folder)},
        timeout=600,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, done.stdout
    assert "use_seed.py:5:" in errors[0]
    assert '"seedz"' in errors[0]


def test_a_new_allowed_value_reaches_the_client_and_the_cli(base: Spec, base_surface: dict[str, Any]) -> None:
    _, surface, gaps = changed(base, "ratio 8")
    assert surface["values"]["submit(upsale_ratio)"] == ["2", "4", "8"]
    assert _flags(surface)["--ratio"]["choices"] == ["2", "4", "8"]
    assert gaps == []  # the completeness check sends the last value: 8
    assert _errors(base_surface, surface) == []


def test_a_new_optional_header_reaches_the_client_and_the_cli(
    base: Spec, base_surface: dict[str, Any]
) -> None:
    _, surface, gaps = changed(base, "X-Trace-ID")
    assert _submit(surface)["x_trace_id"] == {"required": False, "type": "str | None"}
    assert _flags(surface)["--x-trace-id"]["help"].startswith(TRACE_HELP)
    assert gaps == []
    assert _errors(base_surface, surface) == []


def test_a_removed_header_is_breaking_for_users_and_the_rest_still_works(
    base: Spec, base_surface: dict[str, Any]
) -> None:
    _, surface, gaps = changed(base, "API-User-ID removed")
    assert "user_id" not in _submit(surface)
    assert "--user-id" not in _flags(surface)
    assert gaps == []  # every other input is still sent: no TypeError, no traceback
    errors = _errors(base_surface, surface)
    assert ("keyword-removed", "HiDream.upscale.submit") in errors
    assert ("keyword-removed", "AsyncHiDream.upscale.submit_and_wait") in errors
    assert ("flag-removed", "hidream-upscale submit --user-id") in errors


def test_a_second_operation_of_the_same_shape_gets_a_command_and_a_gap_until_its_method_is_written(
    base: Spec, base_surface: dict[str, Any]
) -> None:
    folder, surface, gaps = changed(base, "second operation")
    models = {path.name for path in (folder / "hidream_api_client" / "models").iterdir()}
    assert not any("sync_x_accept_language" in name for name in models), "a duplicate header enum"
    assert set(_flags(surface, "submit-upscale-task-sync")) >= set(_flags(surface, "submit"))
    assert gaps == [
        {
            "where": "submitUpscaleTaskSync",
            "text": "no typed method `HiDream().upscale.submit_upscale_task_sync` (add it in _upscale.py)",
        }
    ]
    assert _errors(base_surface, surface) == []
