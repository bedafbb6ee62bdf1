"""The observed catalog: every rejection a live run saw, as data, as a report table and as spec examples.

A rejection is an answer that says "no task" (guard.task_evidence: a 4xx, or an envelope with a
non-zero integer `code`). Each is kept with its HTTP status, `code`, `message` by the language the
request asked for (`X-accept-language`; the spec's default when none was sent), the probe that caused
it, what that probe was about (`about`: the field, header or rule it broke, which the simulator's
`observed-codes` scenario answers by) and the run's date. Read from the cassette (cassette.py), so it
holds exactly what was recorded, redacted.

`reports/live-observed.json` (CATALOG_NAME) is the file; `table` is the report's section; `propose`
turns one or more catalogs into named examples for the spec with their provenance ("observed by the
live check on DATE"), for a person to review and paste (`python -m hidream_contract.cassette propose`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from hidream_contract.live.guard import TaskEvidence, task_evidence
from hidream_contract.live.requests_model import header_parameters, request_schema
from hidream_contract.spec import load, operations

CATALOG_NAME = "live-observed.json"
CATALOG_VERSION = 1
SECTION = "## Rejections observed (the service's own codes and messages)"


def default_language() -> str:
    """The spec's default `X-accept-language` (what the service answers in when none is sent)."""
    for operation in operations():
        for param in operation.header_parameters():
            if param["name"].lower() == "x-accept-language":
                return str(param.get("schema", {}).get("default", "zh"))
    return "zh"


def about(probe: str) -> str:
    """What a probe's request broke, from its name (probes.py names them): the simulator's
    `observed-codes` scenario picks the observed answer by it."""
    name = re.sub(r" \([^)]*: [^)]*\)$", "", probe)  # a carried header value: "... (X-accept-language: zh)"
    if name in ("no token", "invalid token") or "without the token" in name:
        return "Authorization"
    if name.startswith("missing "):
        return name[len("missing ") :]
    if name in ("empty image", "image not a string"):
        return "image"
    if name in ("empty body", "body not an object", "schemathesis negative case"):
        return "request body"
    if name.endswith("(undeclared)"):
        return "HTTP method"
    if "unknown task_id" in name:
        return "task_id"
    first = name.split(" ", 1)[0]  # "upsale_ratio 3" -> upsale_ratio
    known = set(request_schema().get("properties", {})) | {p["name"] for p in header_parameters()}
    return first if first in known else "request body"


def _operation_of(path: str) -> str:
    found = [op for op in operations() if path.endswith(op.path)]
    return max(found, key=lambda op: len(op.path)).operation_id if found else path


def _header(items: Iterable[dict[str, Any]], name: str) -> str | None:
    for item in items:
        if str(item.get("name", "")).lower() == name:
            return str(item.get("value", ""))
    return None


def rejections(har: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per rejected answer in the cassette, in order."""
    language = default_language()
    found = []
    for entry in har["log"]["entries"]:
        response = entry["response"]
        status = int(response["status"])
        text = response.get("content", {}).get("text")
        if status == 0:
            continue
        body = text.encode("utf-8") if isinstance(text, str) else b""
        if task_evidence(status, body) is not TaskEvidence.NONE:
            continue
        try:
            envelope = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            envelope = None
        envelope = envelope if isinstance(envelope, dict) else None
        code = envelope.get("code") if envelope else None
        message = envelope.get("message") if envelope else None
        request = entry["request"]
        probe = str(entry.get("_probe", ""))
        found.append(
            {
                "operation": _operation_of(urlsplit(request["url"]).path),
                "http_status": status,
                "code": code,
                "message": message,
                "language": _header(request.get("headers", []), "x-accept-language") or language,
                "probe": probe,
                "about": about(probe),
                "envelope": envelope,
            }
        )
    return found


def catalog(har: dict[str, Any], *, observed_on: str, base_url: str) -> dict[str, Any]:
    """Rejections grouped by (operation, HTTP status, code, about): messages per language, probes."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for seen in rejections(har):
        key = (seen["operation"], seen["http_status"], json.dumps(seen["code"]), seen["about"])
        group = groups.setdefault(
            key,
            {
                "operation": seen["operation"],
                "http_status": seen["http_status"],
                "code": seen["code"],
                "about": seen["about"],
                "messages": {},
                "probes": [],
                "example": seen["envelope"],
                "observed_on": observed_on,
            },
        )
        if seen["message"] is not None:
            messages = group["messages"].setdefault(seen["language"], [])
            if seen["message"] not in messages:
                messages.append(seen["message"])
        if seen["probe"] not in group["probes"]:
            group["probes"].append(seen["probe"])
    return {
        "version": CATALOG_VERSION,
        "source": "the HiDream live contract check (python -m hidream_contract.live)",
        "observed_on": observed_on,
        "base_url": base_url,
        "rejections": list(groups.values()),
    }


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(observed: dict[str, Any]) -> str:
    """The report's section: one row per observed (operation, status, code, about)."""
    rows = observed["rejections"]
    lines = [
        SECTION,
        "",
        f"What the service answered to the requests it rejected, on {observed['observed_on']} "
        f"(machine-readable: `{CATALOG_NAME}`; `python -m hidream_contract.cassette propose` turns it into "
        "spec examples).",
        "",
    ]
    if not rows:
        return "\n".join([*lines, "No rejection was seen.", ""])
    lines += [
        "| operation | HTTP | code | about | message (by language) | probes |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for row in rows:
        messages = "; ".join(
            f"{lang}: {' / '.join(f'`{_cell(m)}`' for m in texts)}" for lang, texts in row["messages"].items()
        )
        code = "—" if row["code"] is None else f"`{_cell(json.dumps(row['code'], ensure_ascii=False))}`"
        lines.append(
            f"| `{row['operation']}` | {row['http_status']} | {code} | `{_cell(row['about'])}` | "
            f"{messages or '—'} | {_cell(', '.join(row['probes']))} |"
        )
    return "\n".join([*lines, ""])


def write(observed: dict[str, Any], reports: Path, redact: Callable[[str], str]) -> Path:
    path = reports / CATALOG_NAME
    path.write_text(redact(json.dumps(observed, ensure_ascii=False, indent=1)) + "\n", encoding="utf-8")
    return path


# --- proposing spec examples -------------------------------------------------------------------------
def _name(row: dict[str, Any]) -> str:
    words = re.findall(r"[A-Za-z0-9]+", f"{row['operation']} {row['about']}")
    code = str(row["code"]).replace("-", "minus") if row["code"] is not None else "none"
    title = "".join(w[:1].upper() + w[1:] for w in words)
    return f"Observed{title}{row['http_status']}Code{code}"


def propose(catalogs: list[dict[str, Any]]) -> str:
    """YAML to review and paste into the spec: a named example per observed rejection (components),
    and under each operation's response the references to add. Later catalogs add dates to earlier
    rows with the same name; nothing is invented (an envelope is as observed, redacted)."""
    spec = load()
    examples: dict[str, dict[str, Any]] = {}
    refs: dict[tuple[str, str], list[str]] = {}
    for observed in catalogs:
        for row in observed["rejections"]:
            if row.get("example") is None:
                continue  # no envelope (a gateway's page): nothing to show as the service's example
            name = _name(row)
            dates = examples.get(name, {}).get("x-observed-on", [])
            date = row.get("observed_on") or observed["observed_on"]
            messages = "; ".join(f"{lang}: {' / '.join(t)}" for lang, t in row["messages"].items())
            examples[name] = {
                "summary": (
                    f"Rejected: {row['about']} (observed, code {row['code']}) / "
                    f"请求被拒绝:{row['about']}(实测)"
                ),
                "description": (
                    f"observed by the live check on {date}: HTTP {row['http_status']}, code {row['code']}, "
                    f"provoked by {', '.join(row['probes'])}. Messages seen: {messages or 'none'}."
                ),
                "x-observed-on": sorted({*dates, date}),
                "value": row["example"],
            }
            status = str(row["http_status"])
            operation = next((op for op in operations() if op.operation_id == row["operation"]), None)
            if operation is None:
                continue
            responses = spec["paths"][operation.path][operation.method.lower()]["responses"]
            where = status if status in responses else f"{status} (not documented: add the status first)"
            refs.setdefault((row["operation"], where), [])
            if name not in refs[(row["operation"], where)]:
                refs[(row["operation"], where)].append(name)
    header = [
        "# Proposed by `python -m hidream_contract.cassette propose`: examples the live check observed.",
        "# Review, then paste into openapi/hidream-image-upscaler.yaml (components.examples, and each",
        "# reference under the response named). Values are the service's own answers, redacted.",
    ]
    body = {"components": {"examples": examples}}
    lines = [*header, yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100).rstrip()]
    for (operation_id, status), names in refs.items():
        lines += [f"# {operation_id}, response {status}, examples:"]
        lines += [f"#   {n[0].lower() + n[1:]}: {{$ref: '#/components/examples/{n}'}}" for n in names]
    return "\n".join(lines) + "\n"


def sdk_table(catalogs: list[dict[str, Any]]) -> str:
    """The docs' table for SDK authors: every code seen, its status, what provoked it, when."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for observed in catalogs:
        for row in observed["rejections"]:
            key = (row["operation"], row["http_status"], json.dumps(row["code"]), row["about"])
            merged = rows.setdefault(key, {**row, "dates": set()})
            merged["dates"].add(row.get("observed_on") or observed["observed_on"])
    lines = [
        "| operation | HTTP | code | provoked by | messages | observed on |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for row in rows.values():
        messages = "; ".join(f"{lang}: {' / '.join(t)}" for lang, t in row["messages"].items())
        lines.append(
            f"| `{row['operation']}` | {row['http_status']} | {row['code']} | {_cell(row['about'])} "
            f"({_cell(', '.join(row['probes']))}) | {_cell(messages) or '—'} | "
            f"{', '.join(sorted(row['dates']))} |"
        )
    return "\n".join(lines) + "\n"
