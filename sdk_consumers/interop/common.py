"""What the Python interop drivers share: reading the cases, answering, the Prism `Prefer` header."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main(decode: Callable[[dict[str, Any], str | None, dict[str, Any]], dict[str, Any]]) -> None:
    """`driver.py CLIENT_DIR CASES_JSON [BASE_URL]`: print one answer per case as a JSON list.

    Offline, `decode` reads the case's body; with BASE_URL it calls the case's operation on the Prism
    mock, asking for the case's status and example. Derived cases (no example) run offline only.
    """
    spec_input = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    base_url = sys.argv[3] if len(sys.argv) > 3 else None
    answers = []
    for case in spec_input["cases"]:
        if base_url and case["example"] is None:
            continue
        try:
            answer = decode(case, base_url, spec_input)
        except Exception as error:  # any failure to decode is the finding
            answer = {"kind": "failed", "detail": f"{type(error).__name__}: {error}"[:300]}
        answers.append({"id": case["id"], **answer})
    print(json.dumps(answers))


def prefer(case: dict[str, Any]) -> str:
    return f"code={case['status']}, example={case['example']}"


def ok(result: Any) -> dict[str, Any]:
    """An answer with `code` 0: the decoded `result`, written back with the generated model's serializer."""
    return {"kind": "ok", "result": result}


def error(code: Any, message: Any) -> dict[str, Any]:
    return {"kind": "error", "code": code, "message": message}


def typed(result: Any, model: type) -> Any:
    """`result`, which must be an instance of the generated model for the operation's result."""
    if not isinstance(result, model):
        raise TypeError(f"`code` 0 but result is {type(result).__name__}, not {model.__name__}")
    return result
