"""What a contract run sent and got back, for the summary in reports/ and the request floor."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MIN_REQUESTS = 1000


@dataclass
class RunStats:
    requests: int = 0
    by_phase_mode: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)

    def record(self, *, phase: str, mode: str, method: str, status: int) -> None:
        self.requests += 1
        self.by_phase_mode[(phase, mode)] += 1
        self.by_status[status] += 1
        self.by_method[method] += 1

    def markdown(self, *, title: str, seed: int | None, base_url: str, outcome: str) -> str:
        lines = [
            f"# {title}",
            "",
            f"- outcome: **{outcome}**",
            f"- requests sent: **{self.requests}**",
            f"- seed: `{seed}`" + ("" if seed is None else f" (reproduce with CONTRACT_SEED={seed})"),
            f"- target: `{base_url}`",
            "",
            "| phase | mode | requests |",
            "| --- | --- | ---: |",
        ]
        lines += [f"| {p} | {m} | {n} |" for (p, m), n in sorted(self.by_phase_mode.items())]
        lines += ["", "| HTTP status | responses |", "| --- | ---: |"]
        lines += [f"| {s} | {n} |" for s, n in sorted(self.by_status.items())]
        lines += ["", "| method | requests |", "| --- | ---: |"]
        lines += [f"| {m} | {n} |" for m, n in sorted(self.by_method.items())]
        return "\n".join(lines) + "\n"


def min_requests() -> int:
    raw = os.environ.get("CONTRACT_MIN_REQUESTS", str(DEFAULT_MIN_REQUESTS))
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"CONTRACT_MIN_REQUESTS must be a whole number, got {raw!r}") from None


def write_summary(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
