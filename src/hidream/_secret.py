"""The API token, held so that no repr, log line, message, report or traceback can show it.

One redaction rule for the client and the contract tooling alike: every occurrence of the token is
replaced by `REDACTED`, wherever it stands in the text (a whole-word rule would miss `token=<token>`).
"""

from __future__ import annotations

from typing import Final

REDACTED: Final = "[REDACTED]"


class Secret:
    """Holds the token. Its repr and str hide it, so reprs, logs and tracebacks with locals do too;
    `reveal()` is called only to send it, `redact()` scrubs it from any text."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    __str__ = __repr__

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the token replaced by `REDACTED`."""
        return text.replace(self._value, REDACTED) if self._value else text
