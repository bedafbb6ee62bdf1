"""Where the provider's documentation is silent, the contract suite asserts nothing.

The documentation lists `en` and `zh` for `X-accept-language` but does not say that another value
is rejected; the spec keeps the enum (it is what clients should send) and the suite does not demand
a rejection when that header is the only invalid part of a request. Unknown body fields need no rule:
the spec leaves `additionalProperties` open, so they are never "negative".
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from hidream_contract.spec import submit

SILENT_HEADERS = frozenset({"x-accept-language"})


@cache
def _declared_headers() -> tuple[tuple[str, bool, dict[str, Any]], ...]:
    """(lower-cased name, required, schema) of each of the submit's header parameters."""
    return tuple(
        (param["name"].lower(), bool(param.get("required")), param["schema"])
        for param in submit().header_parameters()
    )


def only_silent_parts_invalid(case: Any) -> bool:
    """True when the case is negative only in headers the documentation is silent about."""
    negative = {loc.value for loc, info in case.meta.components.items() if info.mode.is_negative}
    if negative != {"header"}:
        return False
    sent = {k.lower(): v for k, v in (case.headers or {}).items()}
    silent_invalid = False
    for name, required, schema in _declared_headers():
        if name not in sent:
            if required:
                return False
            continue
        valid = jsonschema.Draft202012Validator(schema).is_valid(sent[name])
        if name in SILENT_HEADERS:
            silent_invalid |= not valid
        elif not valid:
            return False
    return silent_invalid
