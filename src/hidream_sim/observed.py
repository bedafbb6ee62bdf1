"""The `observed-codes` scenario: rejections answered with the codes and messages the live check saw.

The live check writes what the real service answered to each request it rejected into an observed
catalog (`reports/live-observed.json`, its nightly artifact). Loaded into the simulator
(`hidream-sim --observed FILE`, `simulator(observed=FILE)`), the scenario `observed-codes` answers
each rejection with the HTTP status, `code` and `message` observed for the same reason (`about`: the
field or header the request got wrong, `Authorization` for a missing or refused token, `request body`
when no field is named), in the language asked (`X-accept-language`; the observed default otherwise).
A reason the catalog has no entry for keeps the simulator's own answer, as does the scenario when no
catalog is loaded (so it is harmless in every sweep of the scenarios).

The catalog format is the live check's (version 1); read here with the standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIO = "observed-codes"
FALLBACK = "request body"  # the reason used when a rejection names no field the catalog knows


@dataclass(frozen=True)
class ObservedAnswer:
    status: int
    code: Any
    message: str


class ObservedCodes:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = [row for row in rows if isinstance(row, dict) and row.get("code") is not None]

    @classmethod
    def load(cls, path: str | Path) -> ObservedCodes:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
            rows = document["rejections"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not an observed catalog ({type(exc).__name__})") from None
        if not isinstance(rows, list):
            raise ValueError(f"{path}: not an observed catalog (`rejections` is not a list)")
        return cls(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def answer(
        self, about: str, language: str | None, *, operation: str | None = None
    ) -> ObservedAnswer | None:
        """The observed answer for a rejection about `about` (a field, a header, `Authorization`),
        or None when the catalog saw none like it."""
        for wanted in (about, FALLBACK) if about != "Authorization" else (about,):
            rows = [r for r in self._rows if r.get("about") == wanted]
            if operation is not None:
                rows = [r for r in rows if r.get("operation") == operation] or rows
            if rows:
                return _answer(rows[0], language)
        return None


def _answer(row: dict[str, Any], language: str | None) -> ObservedAnswer:
    messages: dict[str, list[str]] = row.get("messages") or {}
    texts = messages.get(language or "") or next(iter(messages.values()), None) or [""]
    return ObservedAnswer(int(row["http_status"]), row["code"], str(texts[0]))


def about_problem(problem: str) -> str:
    """The field a simulator rejection names (`upsale_ratio: must be ...` -> `upsale_ratio`)."""
    name, sep, _ = problem.partition(":")
    return name.strip() if sep and name.strip() and " " not in name.strip() else FALLBACK
