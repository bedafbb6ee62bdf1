"""`python -m bench` (what `make bench` runs): run the benchmarks, print the table, write BENCHMARKS.md.

python -m bench [--only GROUP ...] [--quick] [--output PATH] [--profile-generate]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import client_calls, findings, sdk_calls, workflow
from bench.local_server import serving
from bench.measure import Result
from bench.report import machine, markdown, text_table, versions
from contract_tests.paths import BUILD, ROOT, SPEC

GROUPS = ("client", "readiness", "generate", "contract")


@dataclass(frozen=True)
class Plan:
    client: client_calls.ClientSizes
    workflow: workflow.WorkflowSizes


FULL = Plan(client_calls.ClientSizes(), workflow.WorkflowSizes())
QUICK = Plan(client_calls.QUICK_CLIENT_SIZES, workflow.QUICK_WORKFLOW_SIZES)


def run_client(plan: Plan) -> list[Result]:
    sizes = plan.client
    with serving() as base_url:
        return [
            client_calls.generated_sync_local(base_url, sizes),
            sdk_calls.sdk_sync_local(base_url, sizes),
            client_calls.generated_sync_mock_transport(sizes),
            sdk_calls.sdk_sync_mock_transport(sizes),
            client_calls.generated_async_concurrent(base_url, sizes),
            sdk_calls.sdk_async_concurrent(base_url, sizes),
            *client_calls.construction(sizes),
            sdk_calls.sdk_construction(sizes),
        ]


RUNNERS: dict[str, Callable[[Plan], list[Result]]] = {
    "client": run_client,
    "readiness": lambda plan: [workflow.prism_readiness(plan.workflow)],
    "generate": lambda plan: [workflow.check_generated(plan.workflow)],
    "contract": lambda plan: [workflow.contract_run(plan.workflow)],
}


def run(groups: Sequence[str], plan: Plan, *, log: Callable[[str], None] = print) -> list[Result]:
    results: list[Result] = []
    for group in groups:
        if group not in RUNNERS:
            raise SystemExit(f"unknown benchmark group {group!r}; choose from {', '.join(GROUPS)}")
        log(f"==> bench: {group}")
        start = time.perf_counter()
        results += RUNNERS[group](plan)
        log(f"    ({time.perf_counter() - start:.1f} s)")
    return results


def profile_generate(out: Path) -> Path:
    """A pyinstrument profile of one generator run, the part of `make check-generated` that costs."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "profile-generate.txt"
    with_tools = workflow.tool_env()
    scratch = out / "generate-scratch"
    subprocess.run(["rm", "-rf", str(scratch)], check=True)
    cmd = [
        sys.executable, "-m", "pyinstrument", "--outfile", str(target), "-m", "openapi_python_client",
        "generate", "--path", str(SPEC), "--config", "config/openapi-python-client.yaml",
        "--custom-template-path", "config/templates", "--meta", "uv", "--output-path", str(scratch),
        "--fail-on-warning",
    ]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, env=with_tools, check=True, capture_output=True)
    subprocess.run(["rm", "-rf", str(scratch)], check=True)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="run these groups only")
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts: checks the harness, figures mean nothing"
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="where to write the report (default BENCHMARKS.md)"
    )
    parser.add_argument(
        "--profile-generate", action="store_true", help="profile the generator into build/bench/"
    )
    args = parser.parse_args(argv)

    if args.profile_generate:
        print(f"pyinstrument profile: {profile_generate(BUILD / 'bench')}")
        return 0
    groups = args.only or list(GROUPS)
    output = args.output or (ROOT / "BENCHMARKS.md" if not args.quick and not args.only else None)
    started = datetime.now(UTC)
    machine_facts = machine()  # the load average before our own work adds to it
    start = time.perf_counter()
    results = run(groups, QUICK if args.quick else FULL)
    seconds = time.perf_counter() - start
    print()
    print(text_table(results))
    if output is not None:
        output.write_text(
            markdown(
                results,
                started=started,
                seconds=seconds,
                machine_facts=machine_facts,
                version_facts=versions(),
                findings=findings.findings(results),
                method=findings.METHOD,
            ),
            encoding="utf-8",
        )
        print(f"\nwritten: {output}")
    missed = [r.name for r in results if r.met is False]
    if missed:
        print(f"\ntargets missed ({len(missed)}): " + "; ".join(missed) + " — see Findings in the report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
