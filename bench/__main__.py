"""`python -m bench` (what `make bench` runs): run the benchmarks, print the table, write BENCHMARKS.md.

Usage: python -m bench [--only GROUP ...] [--quick] [--output PATH] [--profile {generate,client}]

Every group runs by default; `make-test` (`make test` from a fresh clone, and the unit step with and
without pytest-xdist) is half of the half hour.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pyinstrument import Profiler

from bench import (
    batch,
    client_calls,
    compat,
    findings,
    install,
    interop,
    live_run,
    sdk_calls,
    simulator,
    workflow,
)
from bench.local_server import serving
from bench.make_test import QUICK_MAKE_TEST_SIZES, MakeTestSizes, make_test
from bench.measure import Result
from bench.payloads import TOKEN
from bench.report import machine, markdown, text_table, versions
from hidream import HiDream
from hidream_contract.project import BUILD, ROOT
from hidream_contract.spec import SPEC_PATH

GROUPS = (
    "client",
    "readiness",
    "generate",
    "contract",
    "install",
    "interop",
    "compat",
    "live",
    "batch",
    "simulator",
    "make-test",
)
DEFAULT_GROUPS = GROUPS  # make-test included: issue 22 wants make test's duration as a row


@dataclass(frozen=True)
class Plan:
    client: client_calls.ClientSizes
    workflow: workflow.WorkflowSizes
    install: install.InstallSizes
    live: live_run.LiveSizes = field(default_factory=live_run.LiveSizes)
    batch: batch.BatchSizes = field(default_factory=batch.BatchSizes)
    fresh_clone: MakeTestSizes = field(default_factory=MakeTestSizes)
    simulator: simulator.SimSizes = field(default_factory=simulator.SimSizes)


FULL = Plan(client_calls.ClientSizes(), workflow.WorkflowSizes(), install.InstallSizes())
QUICK = Plan(
    client_calls.QUICK_CLIENT_SIZES,
    workflow.QUICK_WORKFLOW_SIZES,
    install.QUICK_INSTALL_SIZES,
    live_run.QUICK_LIVE_SIZES,
    batch.QUICK_BATCH_SIZES,
    QUICK_MAKE_TEST_SIZES,
    simulator.QUICK_SIM_SIZES,
)


def run_client(plan: Plan) -> list[Result]:
    sizes = plan.client
    with serving() as base_url:
        return [
            client_calls.generated_sync_local(base_url, sizes),
            sdk_calls.sdk_sync_local(base_url, sizes),
            sdk_calls.sdk_guards(base_url, sizes),
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
    "install": lambda plan: install.install_times(plan.install),
    "interop": lambda plan: [interop.interop_local(rounds=plan.workflow.contract_rounds)],
    "compat": lambda plan: [compat.compat_gate(rounds=plan.workflow.contract_rounds)],
    "live": lambda plan: live_run.live_check(plan.live),
    "batch": lambda plan: batch.batch_benchmarks(plan.batch),
    "make-test": lambda plan: make_test(plan.fresh_clone),
    "simulator": lambda plan: simulator.simulator_cost(plan.simulator),
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
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        cmd = [
            sys.executable, "-m", "pyinstrument", "--show-all", "--outfile", str(target),
            "-m", "openapi_python_client", "generate", "--path", str(SPEC_PATH),
            "--config", "config/openapi-python-client.yaml", "--custom-template-path", "config/templates",
            "--meta", "uv", "--output-path", str(Path(scratch) / "client"), "--fail-on-warning",
        ]  # fmt: skip
        subprocess.run(cmd, cwd=ROOT, env=workflow.tool_env(), check=True, capture_output=True)
    return target


def profile_client(out: Path, calls: int = 5000) -> Path:
    """A pyinstrument profile of our client's sync submit with the network taken out (MockTransport)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "profile-client-submit.txt"
    with (
        httpx.Client(transport=client_calls.mock_transport()) as http,
        HiDream(token=TOKEN, base_url="http://bench.invalid", http_client=http) as client,
    ):
        call = sdk_calls.sdk_sync_call(client)
        call()
        profiler = Profiler(interval=0.0001)
        profiler.start()
        for _ in range(calls):
            call()
        profiler.stop()
    target.write_text(profiler.output_text(unicode=True), encoding="utf-8")
    return target


PROFILES: dict[str, Callable[[Path], Path]] = {"generate": profile_generate, "client": profile_client}


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
        "--profile", choices=sorted(PROFILES), help="write a pyinstrument profile to build/bench/ instead"
    )
    args = parser.parse_args(argv)

    if args.profile:
        print(f"pyinstrument profile: {PROFILES[args.profile](BUILD / 'bench')}")
        return 0
    groups = args.only or list(DEFAULT_GROUPS)
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
