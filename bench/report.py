"""The table `make bench` prints and BENCHMARKS.md: figures, the machine, versions, how to reproduce."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.measure import Goal, Result
from hidream_contract.project import ROOT

_DECIMALS = {"µs/call": 1, "req/s": 0, "ms/client": 2, "s": 3, "tasks": 1, "%": 1}
PYTHON_PACKAGES = ("httpx", "openapi-python-client", "schemathesis", "hypothesis", "pyinstrument")


def fmt(value: float, unit: str) -> str:
    return f"{value:,.{_DECIMALS.get(unit, 3)}f}"


def figure(result: Result) -> str:
    """The row's headline: the ratio, or the difference when the target is a difference."""
    goal = result.target.goal if result.target is not None else None
    if goal is Goal.DIFFERENCE_AT_MOST:
        return f"{result.difference:+.3f} {result.unit}"
    if goal is Goal.VALUE_AT_MOST:
        return f"{fmt(result.subject_median, result.unit)} {result.unit} ({result.ratio:.2f}x)"
    return f"{result.ratio:.3f}x"


def _cells(result: Result) -> list[str]:
    extra = "; ".join(f"{k}: {v}" for k, v in result.extra.items())
    return [
        result.name,
        result.subject,
        result.baseline,
        f"{fmt(result.subject_median, result.unit)} {result.unit}",
        f"{fmt(result.baseline_median, result.unit)} {result.unit}",
        figure(result),
        result.target.describe(result.unit) if result.target else "report only",
        result.verdict,
        str(result.rounds),
        extra,
    ]


HEADER = ["benchmark", "subject", "baseline", "subject (median)", "baseline (median)", "figure", "target",
          "verdict", "rounds", "more"]  # fmt: skip


def text_table(results: Sequence[Result]) -> str:
    """A plain table for the terminal: one block per benchmark, which reads well at 100 columns."""
    lines = []
    for result in results:
        cells = dict(zip(HEADER, _cells(result), strict=True))
        lines.append(f"{result.name}  [{cells['verdict']}: {cells['figure']}, target {cells['target']}]")
        lines.append(f"    subject   {cells['subject (median)']:>18}  {result.subject}")
        lines.append(f"    baseline  {cells['baseline (median)']:>18}  {result.baseline}")
        if cells["more"]:
            lines.append(f"    {cells['more']}")
    return "\n".join(lines)


def markdown_table(results: Sequence[Result]) -> str:
    rows = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    rows += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |" for r in results]
    return "\n".join(rows)


def _command_output(cmd: list[str]) -> str:
    env = dict(os.environ, PATH=os.pathsep.join([str(ROOT / "node_modules" / ".bin"), os.environ["PATH"]]))
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc.__class__.__name__})"
    return proc.stdout.strip() or "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, str]:
    load = os.getloadavg()
    return {
        "CPU": _cpu_model(),
        "cores (nproc)": str(len(os.sched_getaffinity(0))),
        "memory": _memory(),
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load),
        "OS": f"{platform.system()} {platform.release()}",
    }


def versions() -> dict[str, str]:
    commit = _command_output(["git", "rev-parse", "--short", "HEAD"])
    dirty = _command_output(["git", "status", "--porcelain", "--untracked-files=no"]) not in ("", "unknown")
    found = {"commit": commit + (" (with uncommitted changes)" if dirty else "")}
    found["Python"] = platform.python_version()
    for name in PYTHON_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["Node"] = _command_output(["node", "--version"])
    found["Prism"] = _command_output(["prism", "--version"])
    return found


REPRODUCE = """\
make bench                                   # everything below, then this file
.venv/bin/python -m bench --only client      # just the client rows (also: contract, readiness, generate)
.venv/bin/python -m bench --quick            # a smoke run with tiny counts (figures mean nothing)
.venv/bin/python -m bench --profile generate # pyinstrument profile of the generator -> build/bench/
.venv/bin/python -m bench --profile client   # pyinstrument profile of HiDream.upscale.submit -> build/bench/

# the bare schemathesis baseline by hand, against a Prism that is already up:
scripts/mock -- bash -c 'SCHEMATHESIS_HOOKS=bench.st_mock_hooks PYTHONPATH=. st \\
  --config-file config/schemathesis.toml run --url "$MOCK_BASE_URL" \\
  --exclude-checks response_schema_conformance,negative_data_rejection "$SPEC"'

# where the bare st run spends its time: st works in threads, which pyinstrument does not follow, so
# this one used py-spy (pip install py-spy==0.4.3; not a project dependency), same command under
#   py-spy record -r 200 -f raw -o st.spy -- python -m schemathesis.cli --config-file ..."""


def markdown(
    results: Sequence[Result],
    *,
    started: datetime,
    seconds: float,
    machine_facts: dict[str, str],
    version_facts: dict[str, str],
    findings: Sequence[str],
    method: Sequence[str],
) -> str:
    def facts(d: dict[str, str]) -> list[str]:
        return [f"| {k} | {v} |" for k, v in d.items()]

    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC in {seconds:.0f} s. "
        "Every figure is a ratio (or a difference) against a baseline measured in the same run, "
        "interleaved round by round; medians over the rounds. Rerun it rather than edit it.",
        "",
        "## Figures",
        "",
        markdown_table(results),
        "",
        "## Findings",
        "",
        *[f"- {f}" for f in findings],
        "",
        "## How each figure is taken",
        "",
        *[f"- {m}" for m in method],
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *facts(machine_facts),
        "",
        "## Versions",
        "",
        "| | |",
        "|---|---|",
        *facts(version_facts),
        "",
        "## Reproduce",
        "",
        "```",
        REPRODUCE,
        "```",
        "",
    ]
    return "\n".join(lines)
