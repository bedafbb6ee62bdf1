"""Run the matrix: generate every target, build what can be built here, drive it, judge each case."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hidream_contract.interop.cases import Case, cases, driver_input, judge
from hidream_contract.interop.replay import replay_input, replaying
from hidream_contract.interop.targets import TARGETS, StepError, Target, generate_batch, run
from hidream_contract.mock import running_mock
from hidream_contract.openapi30 import RenditionError, convert, render
from hidream_contract.project import BUILD
from hidream_contract.spec import SPEC_PATH

OUT = BUILD / "interop"


@dataclass
class Row:
    target: Target
    version: str = ""
    generate: str = ""  # "ok" or why not
    build: str = ""  # "ok", "generate-only: why", or why it failed
    offline: dict[str, str] = field(default_factory=dict)  # case id -> "" (right) or what went wrong
    mock: dict[str, str] = field(default_factory=dict)
    replay: dict[str, str] = field(default_factory=dict)  # every case, through the client's HTTP path

    @property
    def generate_only(self) -> bool:
        """Generated, and not built on purpose: its toolchain cannot be had on this kind of machine."""
        return self.build.startswith("generate-only")

    @property
    def driven(self) -> bool:
        """Built, and its driver decoded every case offline, through the replay server and (when the
        mock ran) through Prism."""
        decoded = [*self.offline.values(), *self.mock.values(), *self.replay.values()]
        return self.generate == "ok" and self.build == "ok" and bool(decoded) and not any(decoded)

    @property
    def ok(self) -> bool:
        """Driven, or generate-only for a reason the target declares; a row whose toolchain should be
        here and is not, or that failed to build or decode, fails the matrix."""
        return self.driven or (self.generate == "ok" and self.generate_only)


def select(names: Sequence[str] = (), *, local_only: bool = False) -> list[Target]:
    chosen = [t for t in TARGETS if (not names or t.key in names) and (t.local or not local_only)]
    unknown = set(names) - {t.key for t in TARGETS}
    if unknown:
        raise ValueError(f"unknown interop targets {sorted(unknown)}; known: {[t.key for t in TARGETS]}")
    return chosen


def _drive(argv: list[str], input_file: Path, base_url: str | None, log: Path) -> dict[str, dict[str, Any]]:
    stdout = run([*argv, str(input_file), *([base_url] if base_url else [])], cwd=input_file.parent, log=log)
    answers = json.loads(stdout)
    return {str(a["id"]): a for a in answers}


def _judged(
    all_cases: list[Case], answers: dict[str, dict[str, Any]], *, served_only: bool
) -> dict[str, str]:
    return {c.id: judge(c, answers.get(c.id)) for c in all_cases if c.example is not None or not served_only}


def run_matrix(
    targets: Sequence[Target],
    *,
    spec: Path = SPEC_PATH,
    out: Path = OUT,
    mock: bool = True,
    replay: bool = True,
) -> list[Row]:
    """Generate, build and drive `targets` against `spec`; one row each."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rows = {t.key: Row(t, version=t.version()) for t in targets}
    for target in targets:
        (out / target.key).mkdir(parents=True, exist_ok=True)
    batch = [t for t in targets if t.generator]
    try:
        generate_batch(batch, spec, out, out / "openapi-generator.log")
    except StepError as error:
        for t in batch:
            rows[t.key].generate = f"failed: {error}"
    spec_30 = out / "spec-3.0.yaml"  # the rendition of `spec` (a test's variant too), as make generate would
    if any(t.reads_30_only for t in targets):
        try:
            spec_30.write_text(render(convert(spec), spec), encoding="utf-8")
        except RenditionError as error:
            for t in targets:
                if t.reads_30_only:
                    rows[t.key].generate = f"failed: no OpenAPI 3.0 rendition: {error}"
    for target in targets:
        row = rows[target.key]
        log = out / target.key / "log.txt"
        if not row.generate:
            try:
                if not target.generator:
                    target.generate(spec_30 if target.reads_30_only else spec, out / target.key, log)
                client = out / target.key / "client"
                row.generate = "ok" if client.is_dir() and any(client.iterdir()) else "failed: no output"
            except StepError as error:
                row.generate = f"failed: {error}"
    input_file = out / "cases.json"
    input_file.write_text(json.dumps(driver_input(spec), indent=2, ensure_ascii=False), encoding="utf-8")
    all_cases = cases(spec)
    drivers: dict[str, list[str]] = {}
    for target in targets:
        row = rows[target.key]
        if row.generate != "ok":
            continue
        if target.generate_only:
            row.build = f"generate-only: {target.generate_only}"
            continue
        missing = target.missing_toolchain()
        if missing:
            row.build = f"failed: {missing} (make interop installs what this machine can have)"
            continue
        log = out / target.key / "log.txt"
        try:
            drivers[target.key] = target.build(out / target.key, log)
            row.build = "ok"
            row.offline = _judged(
                all_cases, _drive(drivers[target.key], input_file, None, log), served_only=False
            )
        except (StepError, ValueError) as error:
            row.build = row.build or f"failed: {error}"
            row.offline = row.offline or {"(driver)": str(error)}
    if mock and drivers:
        context: AbstractContextManager[str] = running_mock(spec)
    else:
        context = nullcontext("")
    with context as base_url:
        for key, argv in drivers.items():
            if not base_url:
                break
            log = out / key / "log.txt"
            try:
                answers = _drive(argv, input_file, base_url, log)
                rows[key].mock = _judged(all_cases, answers, served_only=True)
            except (StepError, ValueError) as error:
                rows[key].mock = {"(driver)": str(error)}
    if replay and drivers:
        replay_file = out / "cases-replay.json"
        replay_file.write_text(json.dumps(replay_input(spec), indent=2, ensure_ascii=False), encoding="utf-8")
        with replaying(all_cases, spec) as replay_url:
            for key, argv in drivers.items():
                log = out / key / "log.txt"
                try:
                    answers = _drive(argv, replay_file, replay_url, log)
                    rows[key].replay = _judged(all_cases, answers, served_only=False)
                except (StepError, ValueError) as error:
                    rows[key].replay = {"(driver)": str(error)}
    return [rows[t.key] for t in targets]
