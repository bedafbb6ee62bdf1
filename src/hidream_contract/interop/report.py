"""reports/interop.md: one row per generator: ✅ built and driven, ⚪ generated only (with why), ❌ failed."""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from hidream_contract.interop.matrix import Row


def _toolchain(command: Sequence[str]) -> str:
    if shutil.which(command[0]) is None:
        return "absent"
    done = subprocess.run(list(command), capture_output=True, text=True, check=False, timeout=60)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def _decoded(results: dict[str, str], served: str) -> str:
    if not results:
        return served
    wrong = {case: why for case, why in results.items() if why}
    if not wrong:
        return f"ok ({len(results)}/{len(results)})"
    return "; ".join(f"**{case}**: {why}" for case, why in wrong.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: Sequence[Row], spec: Path) -> str:
    lines = [
        "# Interop matrix",
        "",
        f"Spec: `{spec.name}`. Written by `make interop` (src/hidream_contract/interop). Each client is",
        "generated into build/interop/<target>/, built where its toolchain is here, and its driver",
        "(sdk_consumers/interop/<target>/) decodes every response example the spec declares, offline",
        "and through the Prism mock. A 2xx rejection is also decoded with `result` null and `{}`, and",
        "every example with a harmless extra field; the replay server answers every case, so the",
        "client reads each through its own HTTP path.",
        "",
        "| target | tool | version | generate | build | decode offline | decode via Prism mock"
        " | every case via the replay server |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        target = row.target
        name = f"{target.generator} ({target.language})" if target.generator else target.key
        if target.tool == "openapi-python-client":
            name += " (ours)"
        skipped = "—" if row.generate_only or row.build != "ok" else "not run"
        cells = [
            ("✅ " if row.driven else "⚪ " if row.ok else "❌ ") + name,
            target.tool,
            row.version,
            row.generate,
            row.build,
            _decoded(row.offline, skipped),
            _decoded(row.mock, skipped),
            _decoded(row.replay, skipped),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    toolchains = {
        "python": f"Python {platform.python_version()}",
        "node": _toolchain(["node", "--version"]),
        "go": _toolchain(["go", "version"]),
        "java": _toolchain(["java", "-version"]),
        "maven": _toolchain(["mvn", "-B", "--version"]),
        "rust": _toolchain(["cargo", "--version"]),
        "php": _toolchain(["php", "--version"]),
    }
    lines += ["", "Toolchains: " + "; ".join(f"{k}: {v}" for k, v in toolchains.items()), ""]
    lines += [verdict(rows), ""]
    return "\n".join(lines)


def verdict(rows: Sequence[Row]) -> str:
    """The matrix's last line: rows built and driven apart from rows generated only, and the failures."""
    driven = [r for r in rows if r.driven]
    generated = [r for r in rows if r.ok and not r.driven]
    failed = [r for r in rows if not r.ok]
    text = f"Verdict: {len(driven)}/{len(rows)} rows built and driven"
    if generated:
        keys = ", ".join(r.target.key for r in generated)
        text += f", {len(generated)} generated only ({keys}: see its build cell)"
    if failed:
        return text + f"; FAILED: {', '.join(r.target.key for r in failed)}."
    return text + "; no row failed."
