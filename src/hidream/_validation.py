"""Checks of arguments before anything is sent; allowed values and defaults come from the generated enums
and models (the spec)."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

import attrs

from hidream._images import is_http_url
from hidream.errors import InvalidInputError

M = TypeVar("M", bound=Enum)


def choice(field: str, value: object, allowed: type[M]) -> M:
    """The member of the generated enum `allowed` that `value` names, or an error listing its values."""
    values = [member.value for member in allowed]
    if isinstance(value, allowed):
        return value
    # bool is an int, but True is not a ratio; "4" is not 4 either (the wire type is int).
    if not isinstance(value, bool) and any(type(value) is type(v) and value == v for v in values):
        return allowed(value)
    raise InvalidInputError(field, f"{value!r} is not allowed", allowed=values)


def default(model: type, field: str, *, otherwise: Any = None) -> Any:
    """The default the generated attrs `model` gives `field` (the spec's `default`), else `otherwise`."""
    value = getattr(attrs.fields(model), field).default
    return otherwise if value is attrs.NOTHING else value


def http_url(field: str, value: object) -> str:
    """An absolute http(s) URL, or an error saying that is what `field` needs."""
    if not isinstance(value, str) or not is_http_url(value.strip()):
        raise InvalidInputError(
            field, f"{value!r} is not an absolute http(s) URL", allowed=["http://…", "https://…"]
        )
    return value.strip()


def text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(field, f"must be a string, not {type(value).__name__}")
    return value


def header_text(field: str, value: object) -> str:
    """A string that can travel as an HTTP header value (no line breaks or other control characters)."""
    checked = text(field, value)
    if any(ord(char) < 32 or ord(char) == 127 for char in checked):
        raise InvalidInputError(field, "must not contain control characters or line breaks")
    try:
        checked.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidInputError(field, "must be Latin-1 text (it is sent as an HTTP header)") from None
    return checked
