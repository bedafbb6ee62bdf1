"""The API token, held so that no repr, log line, message, report or traceback can show it.

One redaction rule for the client and the contract tooling alike: every occurrence of the token is
replaced by `REDACTED`, wherever it stands in the text (a whole-word rule would miss `token=<token>`),
and in every form a server, a proxy or a library may echo it: raw, percent-encoded, JSON-, HTML- or
backslash-escaped (also JSON-escaped twice: an escaped echo quoted inside JSON again), and base64 (also
inside a longer base64 text such as a Basic auth header).
"""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Final
from urllib.parse import quote, unquote

REDACTED: Final = "[REDACTED]"
# Derived forms shorter than this are left out: they could match honest text. Real tokens are far longer.
_MIN_FORM_CHARS: Final = 8


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters that depend only on `raw`, at each of the three alignments it can have in
    a longer base64 text (so `raw` is found inside e.g. base64("user:" + token) too)."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        # Character j carries bits 6j..6j+5; keep those lying wholly inside raw's bits.
        first = -(-8 * shift // 6)
        last = 8 * (shift + len(raw)) // 6
        core = encoded[first:last]
        cores.add(core)
        cores.add(core.translate(str.maketrans("+/", "-_")))  # the URL-safe alphabet
    return cores


def _percent_forms(value: str) -> set[str]:
    return {quote(value, safe=safe) for safe in ("", "/")}


def _pattern(form: str) -> str:
    """`form` as a literal pattern, its %XX escapes matched in either case (%2F, %2f)."""
    return re.sub(
        r"%([0-9A-F])([0-9A-F])",
        lambda m: "%" + "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in m.groups()),
        re.escape(form),
    )


def forms_of(value: str) -> set[str]:
    """Every text form of `value` that redaction matches (the value itself first among them)."""
    raw = value.encode("utf-8", "surrogatepass")
    once = json.dumps(value)[1:-1]
    escaped = {
        once,
        json.dumps(once)[1:-1],  # JSON inside JSON: a message quoting an escaped echo, quoted again
        json.dumps(once.replace("/", "\\/"))[1:-1],
        json.dumps(value)[1:-1].replace("/", "\\/"),
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        repr(raw)[2:-1],
        value.encode("unicode_escape").decode("ascii"),
        html.escape(value),
    }
    derived = (escaped | _percent_forms(value) | _base64_cores(raw)) - {value}
    return {value} | {form for form in derived if len(form) >= _MIN_FORM_CHARS}


class Secret:
    """Holds the token. Its repr and str hide it, so reprs, logs and tracebacks with locals do too;
    `reveal()` is called only to send it, `redact()` scrubs it from any text."""

    __slots__ = ("_pattern", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        forms = sorted(forms_of(value), key=len, reverse=True) if isinstance(value, str) and value else []
        self._pattern = re.compile("|".join(map(_pattern, forms))) if forms else None

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    __str__ = __repr__

    def redact(self, text: str) -> str:
        """`text` with the token, in any of its forms, replaced by `REDACTED`. A text in which the
        token hides behind percent-escapes of plain characters (`%74%6F%6B…`) comes back decoded,
        with the token redacted."""
        if self._pattern is None:
            return text
        text = self._pattern.sub(REDACTED, text)
        if "%" in text:
            decoded = unquote(text)
            if decoded != text and self._pattern.search(decoded):
                return self._pattern.sub(REDACTED, decoded)
        return text
