"""Since last night: two cassettes compared, answer by answer, on what a client depends on.

Answers are paired by the step that sent them (`_probe`), the method and path, and their order among
those (retries and result reads repeat). For each pair, compared: the HTTP status; the answer's
headers (names, and the values of STABLE_HEADERS); the body's shape (every JSON path with its type),
and the values of `code` and `message` (ids in a message masked). Not compared: ids, timestamps and
other values (a `request_id`, a `task_id`, `Date`), which change every night.

Requests only one cassette has are listed (a run's budget or a verdict may stop it early), but do not
count as a change unless asked (`strict`): what changed is what the service answered to the same step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

STABLE_HEADERS = ("content-type", "www-authenticate", "allow", "retry-after")
VOLATILE_HEADERS = frozenset(
    {
        "date",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "set-cookie",
        "age",
        "etag",
        "server",
        "x-sim-replay",
    }
)
_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\b[0-9a-fA-F]{16,}\b|\d{6,}"
)


@dataclass
class Changes:
    changed: list[str] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    compared: int = 0

    def exit_status(self, *, strict: bool = False) -> int:
        """0 nothing changed, 1 the service's answers changed (or, strict, the requests differ)."""
        return 1 if self.changed or (strict and (self.only_old or self.only_new)) else 0

    def text(self) -> str:
        lines = [
            f"==> cassette compare: {len(self.changed)} answer(s) changed of {self.compared} compared; "
            f"{len(self.only_old)} only in the old cassette, {len(self.only_new)} only in the new"
        ]
        lines += [f"    changed: {c}" for c in self.changed]
        lines += [f"    only in the old: {c}" for c in self.only_old]
        lines += [f"    only in the new: {c}" for c in self.only_new]
        return "\n".join(lines)


def _mask(text: str) -> str:
    return _ID.sub("<id>", text)


def shape(value: Any, path: str = "") -> dict[str, str]:
    """Every JSON path of `value` with its type (list items as `[]`, merged)."""
    here = path or "$"
    if isinstance(value, dict):
        found = {here: "object"}
        for key, item in value.items():
            found.update(shape(item, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list):
        found = {here: "array"}
        for item in value:
            found.update(shape(item, f"{path}[]"))
        return found
    kind = "null" if value is None else "boolean" if isinstance(value, bool) else type(value).__name__
    return {here: {"str": "string", "int": "integer", "float": "number"}.get(kind, kind)}


def _summary(entry: dict[str, Any]) -> dict[str, Any]:
    response = entry["response"]
    headers = {str(h["name"]).lower(): str(h["value"]) for h in response.get("headers", [])}
    content = response.get("content", {})
    text = content.get("text")
    try:
        body = json.loads(text) if isinstance(text, str) else None
        parsed = True
    except ValueError:
        body, parsed = None, False
    out: dict[str, Any] = {
        "status": response.get("status"),
        "headers": sorted(name for name in headers if name not in VOLATILE_HEADERS),
        **{f"header {name}": headers.get(name) for name in STABLE_HEADERS},
        "body": "json" if parsed and text is not None else ("none" if text is None else "text"),
    }
    if isinstance(body, dict):
        out["shape"] = shape(body)
        out["code"] = body.get("code")
        if isinstance(body.get("message"), str):
            out["message"] = _mask(body["message"])
    elif body is not None:
        out["shape"] = shape(body)
    return out


def _keys(har: dict[str, Any]) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    keyed: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for entry in har["log"]["entries"]:
        request = entry["request"]
        base = (str(entry.get("_probe", "")), request["method"], urlsplit(request["url"]).path)
        seen[base] = seen.get(base, 0) + 1
        keyed[(*base, seen[base])] = entry
    return keyed


def _name(key: tuple[str, str, str, int]) -> str:
    probe, method, path, n = key
    return f"{probe or '(unnamed)'} ({method} {path}" + (f", #{n}" if n > 1 else "") + ")"


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    said = []
    for name in sorted((set(old) | set(new)) - {"shape"}):
        if old.get(name) != new.get(name):
            said.append(
                f"{name} {json.dumps(old.get(name), ensure_ascii=False)} -> "
                f"{json.dumps(new.get(name), ensure_ascii=False)}"
            )
    a, b = old.get("shape", {}), new.get("shape", {})
    said += [f"body field {p} removed (was {a[p]})" for p in sorted(set(a) - set(b))]
    said += [f"body field {p} added ({b[p]})" for p in sorted(set(b) - set(a))]
    said += [f"body field {p} {a[p]} -> {b[p]}" for p in sorted(set(a) & set(b)) if a[p] != b[p]]
    return said


def compare(old: dict[str, Any], new: dict[str, Any]) -> Changes:
    before, after = _keys(old), _keys(new)
    changes = Changes()
    for key in before:
        if key not in after:
            changes.only_old.append(_name(key))
            continue
        changes.compared += 1
        said = _differences(_summary(before[key]), _summary(after[key]))
        if said:
            changes.changed.append(f"{_name(key)}: " + "; ".join(said))
    changes.only_new = [_name(key) for key in after if key not in before]
    return changes
