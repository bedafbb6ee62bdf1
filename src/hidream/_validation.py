"""Checks of arguments before anything is sent: what the wire allows, and the spec's values.

Allowed values and defaults come from the generated enums and models (the spec). The public ones
(`check_token`, `check_base_url`, `check_url`, `check_header`) are exported by `hidream`, so the contract
tooling checks its inputs by the same rules. None of them ever puts the token into an error.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Final, TypeVar
from urllib.parse import SplitResult, urlsplit

import attrs

from hidream._images import is_http_url
from hidream._secret import Secret
from hidream.errors import InvalidInputError

M = TypeVar("M", bound=Enum)

# RFC 9110 field names; values may not start or end with whitespace (h11 refuses them, and rightly).
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
URL_SCHEMES: Final = ("http://…", "https://…")


def choice(field: str, value: object, allowed: type[M]) -> M:
    """The member of the generated enum `allowed` that `value` names, or an error listing its values."""
    if isinstance(value, allowed):
        return value
    values = [member.value for member in allowed]
    # bool is an int, but True is not a ratio; "4" is not 4 either (the wire type is int).
    if not isinstance(value, bool) and any(type(value) is type(v) and value == v for v in values):
        return allowed(value)
    raise InvalidInputError(field, f"{value!r} is not allowed", allowed=values)


def default(model: type, field: str, *, otherwise: Any = None) -> Any:
    """The default the generated attrs `model` gives `field` (the spec's `default`), else `otherwise`."""
    value = getattr(attrs.fields(model), field).default
    return otherwise if value is attrs.NOTHING else value


def _control_or_space(value: str) -> str | None:
    """What is wrong with `value` as part of a URL or a token, or None."""
    for position, char in enumerate(value):
        if char in "\r\n":
            return f"a line break at position {position}"
        if ord(char) < 32 or ord(char) == 127:
            return f"a control character (U+{ord(char):04X}) at position {position}"
        if char.isspace():
            return f"whitespace at position {position}"
    return None


def _token_problem(token: object) -> str | None:
    """What keeps `token` from being sent as `Authorization: Bearer <token>`; never quotes the token."""
    if not isinstance(token, str):
        return f"must be a string, not {type(token).__name__}"
    if not token:
        return "is empty"
    problem = _control_or_space(token)
    if problem:
        return f"contains {problem}; copy the token again without it"
    for position, char in enumerate(token):
        if not 33 <= ord(char) <= 126:
            hint = (
                " (a typographic quote from a copy-paste?)"
                if char in "\u2018\u2019\u201c\u201d\u00ab\u00bb"
                else ""
            )
            return f"contains a non-ASCII character (U+{ord(char):04X}) at position {position}{hint}"
    return None


def check_token(token: str | Secret, *, field: str = "token") -> Secret:
    """The token as a `Secret`, stripped of surrounding whitespace, once it can travel in a header:
    non-empty, visible ASCII, no whitespace inside. The error names the problem, never the token."""
    secret = token if isinstance(token, Secret) else Secret(token)
    token = secret  # the raw value leaves this frame, so a traceback with locals cannot show it
    value = secret.reveal()
    if isinstance(value, str) and value != value.strip():
        secret = Secret(value.strip())
    del value
    problem = _token_problem(secret.reveal())
    if problem:
        raise InvalidInputError(field, problem)
    return secret


def _shown(text: str) -> str:
    """A URL as a message may quote it: whatever stands before an `@` may be a password, so a URL
    with one is not quoted at all."""
    return "the URL (not quoted: it contains '@')" if "@" in text else repr(text)


def _split(field: str, value: object) -> tuple[str, SplitResult]:
    if not isinstance(value, str) or not value.strip():
        shown = _shown(value) if isinstance(value, str) else repr(value)
        raise InvalidInputError(field, f"{shown} is not an absolute http(s) URL", allowed=URL_SCHEMES)
    text = value.strip()
    problem = _control_or_space(text)
    if problem:
        raise InvalidInputError(field, f"contains {problem}; a URL cannot carry it")
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None:
        raise InvalidInputError(field, f"{_shown(text)} is not a URL that can be parsed")
    if parts.username is not None or parts.password is not None:
        # Never echo the URL: the part before @ is a password (httpx would send it as Basic auth in
        # place of the bearer token).
        raise InvalidInputError(
            field, "must not carry credentials (user:password@); pass the token as token="
        )
    if not is_http_url(text):
        raise InvalidInputError(field, f"{_shown(text)} is not an absolute http(s) URL", allowed=URL_SCHEMES)
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise InvalidInputError(field, f"{_shown(text)} has an invalid port") from None
    return text, parts


def check_url(url: object, *, field: str = "url") -> str:
    """An absolute http(s) URL with a host, without credentials, control characters or whitespace."""
    return _split(field, url)[0]


def check_base_url(url: object, *, field: str = "base_url") -> str:
    """A gateway root: an URL as `check_url` wants it, without query or fragment (paths are appended
    to it), and without a trailing slash."""
    text, parts = _split(field, url)
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InvalidInputError(
            field, f"{text!r} must not have a query or fragment: paths are appended to it"
        )
    return text.rstrip("/")


def text(field: str, value: object) -> str:
    """A string that can be encoded as UTF-8 (JSON on the wire); a lone surrogate cannot."""
    if not isinstance(value, str):
        raise InvalidInputError(field, f"must be a string, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInputError(field, f"is not valid Unicode text (at position {error.start})") from None
    return value


def header_text(field: str, value: object) -> str:
    """A string that can travel as an HTTP header value: Latin-1, no line breaks or other control
    characters, no whitespace at either end."""
    checked = text(field, value)
    if any(ord(char) < 32 or ord(char) == 127 for char in checked):
        raise InvalidInputError(field, "must not contain control characters or line breaks")
    try:
        checked.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidInputError(field, "must be Latin-1 text (it is sent as an HTTP header)") from None
    if checked != checked.strip(" \t"):
        raise InvalidInputError(field, "must not start or end with whitespace (it is sent as an HTTP header)")
    return checked


def check_header(name: object, value: object, *, field: str = "header") -> tuple[str, str]:
    """A header name (an RFC 9110 token) and value (see `header_text`) that HTTP can carry."""
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise InvalidInputError(field, f"{name!r} is not a valid HTTP header name")
    return name, header_text(f"{field}[{name!r}]", value)
