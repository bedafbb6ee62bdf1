"""The lifecycle as an Arazzo workflow (workflows/upscale.arazzo.yaml), run by Redocly's respect against
the simulator: `python -m hidream_contract.arazzo [--scenario NAME]` (what `make workflow` runs).

respect (Redocly CLI 2.x) compiles every response schema with `defaultUnevaluatedProperties: false`: a
schema object that lists `properties` and says nothing about other properties is treated as CLOSED.
JSON Schema 2020-12 and OpenAPI 3.1 say the opposite (open unless `additionalProperties: false`), and
the spec relies on it: the `then` branch of its envelopes lists `request_id` and `result` only, so
under respect's reading every correct answer ("code" and "message" are not in that branch) fails
with "must match then schema". We decide this in the run, not in the spec (which is right, and
read by every other tool): respect gets an *open view* of the spec, built from it at run time into a
folder of each run's own under build/workflows/ (runs side by side never share files) with
`unevaluatedProperties: true` written out on each schema object that lists `properties` and leaves
extra ones unsaid. That keyword changes nothing under standard JSON Schema,
so the schema check keeps every type, enum and `required` of the spec, and checks what a plain
2020-12 validator (the spec tests, schemathesis) checks. Redocly's lint makes the same call for
examples (config/redocly.yaml, `allowAdditionalProperties: true`). The token reaches respect through
the environment (`$inputs.env.HIDREAM_API_TOKEN`), never its command line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hidream_contract.project import BUILD, ROOT
from hidream_contract.spec import SPEC_PATH, load

WORKFLOW = ROOT / "workflows" / "upscale.arazzo.yaml"
OUT = BUILD / "workflows"
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
SOURCE = "hidream"  # the workflow's sourceDescriptions name
TIMEOUT_S = 300


def open_view(node: Any) -> Any:
    """A copy of `node` (a spec or part of it) in which every schema object that lists `properties`
    and says nothing about other properties says `unevaluatedProperties: true`: open, as JSON
    Schema reads it anyway, so respect's closed default no longer applies."""
    if isinstance(node, list):
        return [open_view(item) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: open_view(value) for key, value in node.items()}
    lists_properties = isinstance(copied.get("properties"), dict) or isinstance(
        copied.get("patternProperties"), dict
    )
    if lists_properties and "additionalProperties" not in copied and "unevaluatedProperties" not in copied:
        copied["unevaluatedProperties"] = True
    return copied


def prepare(
    workflow: Path = WORKFLOW, spec: Path = SPEC_PATH, out: Path = OUT, *, open_schemas: bool = True
) -> Path:
    """Write the workflow and the spec view respect reads into `out`; the workflow's path there."""
    out.mkdir(parents=True, exist_ok=True)
    document = load(spec)
    view = out / ("openapi-open.yaml" if open_schemas else "openapi.yaml")
    view.write_text(
        yaml.safe_dump(open_view(document) if open_schemas else document, sort_keys=False), "utf-8"
    )
    arazzo = yaml.safe_load(workflow.read_text("utf-8"))
    for source in arazzo["sourceDescriptions"]:
        if source["name"] == SOURCE:
            source["url"] = f"./{view.name}"
    target = out / workflow.name
    target.write_text(yaml.safe_dump(arazzo, sort_keys=False, allow_unicode=True), "utf-8")
    return target


@dataclass
class Run:
    status: int  # respect's exit status
    output: str  # its terminal output (the token masked by respect, and never given to it as an argument)
    report: dict[str, Any]  # its JSON output (-J)

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The executed steps (retries included), each with its request, response and checks."""
        for file in self.report.get("files", {}).values():
            for flow in file.get("executedWorkflows", []):
                found: list[dict[str, Any]] = flow.get("executedSteps", [])
                return found
        return []

    def last_body(self, step_id: str) -> dict[str, Any]:
        """The response body of the step's last execution ({} if it never ran)."""
        bodies = [s.get("response", {}).get("body") for s in self.steps if s.get("stepId") == step_id]
        return bodies[-1] if bodies and isinstance(bodies[-1], dict) else {}


def run(
    base_url: str,
    token: str,
    image: str,
    upsale_ratio: int = 2,
    *,
    open_schemas: bool = True,
    out: Path | None = None,
) -> Run:
    """respect runs the workflow against `base_url` (the server of source `hidream`); its files go to
    `out`, by default a new folder under build/workflows/."""
    if out is None:
        OUT.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix="run-", dir=OUT))
    workflow = prepare(out=out, open_schemas=open_schemas)
    report = workflow.with_suffix(".respect.json")
    report.unlink(missing_ok=True)
    inputs = json.dumps({"image": image, "upsale_ratio": upsale_ratio})
    env = {
        **os.environ,
        "HIDREAM_API_TOKEN": token,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "NO_UPDATE_NOTIFIER": "1",
    }
    done = subprocess.run(
        [
            str(REDOCLY),
            "respect",
            str(workflow),
            "-S",
            f"{SOURCE}={base_url}",
            "-i",
            inputs,
            "-J",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_S,
        env=env,
    )
    data = json.loads(report.read_text("utf-8")) if report.is_file() else {}
    return Run(done.returncode, done.stdout + done.stderr, data)


def main(argv: list[str] | None = None) -> int:
    from hidream_sim import simulator

    parser = argparse.ArgumentParser(
        prog="python -m hidream_contract.arazzo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scenario", default="faithful", help="the simulator's scenario (default faithful)")
    parser.add_argument(
        "--closed", action="store_true", help="give respect the spec as it is (fails; see above)"
    )
    args = parser.parse_args(argv)
    token = "arazzo-" + os.urandom(8).hex()
    with simulator(args.scenario, token) as sim:
        result = run(
            sim.base_url, token, "https://storage.example.test/photo.png", open_schemas=not args.closed
        )
    print(result.output.replace(token, "<token>"))
    subs = result.last_body("output").get("result", {}).get("sub_task_results", [])
    print(
        f"==> workflow: respect exit {result.status}; {len(result.steps)} requests; output {json.dumps(subs)}"
    )
    return result.status


if __name__ == "__main__":
    sys.exit(main())
