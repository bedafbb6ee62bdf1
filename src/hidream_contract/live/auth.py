"""How the spec says the token travels, and the other forms gateways commonly take it in.

The spec's security schemes (read here, never assumed) say the documented form: an HTTP scheme
(`Authorization: Bearer <token>`) or an API key in a header. The wire sends the token in the
documented HTTP form; when it is refused, tokens.py asks with the others (`other_forms`), to tell a
refused token from a changed scheme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hidream_contract.live.requests_model import spec
from hidream_contract.spec import resolve, submit


@dataclass(frozen=True)
class TokenForm:
    header: str
    scheme: str  # "" for the bare token

    @property
    def label(self) -> str:
        """How reports name it: `Authorization: Token <token>` (never the token itself)."""
        return f"`{self.header}: {self.scheme + ' ' if self.scheme else ''}<token>`"

    @property
    def key(self) -> tuple[str, str]:
        return self.header.lower(), self.scheme.lower()


# The forms gateways commonly take an API token in; the spec's documented one is left out when asking.
COMMON_FORMS = (
    TokenForm("Authorization", "Bearer"),
    TokenForm("Authorization", ""),
    TokenForm("Authorization", "Token"),
    TokenForm("Authorization", "Api-Key"),
    TokenForm("Authorization", "ApiKey"),
    TokenForm("Authorization", "Key"),
    TokenForm("X-API-Key", ""),
)


def _security_schemes() -> list[tuple[str, dict[str, Any]]]:
    """(name, resolved scheme) of each security scheme the submit's security requirements name."""
    schemes = spec().get("components", {}).get("securitySchemes", {})
    operation = spec()["paths"][submit().path][submit().method.lower()]
    names = [n for requirement in operation.get("security", spec().get("security", [])) for n in requirement]
    return [(name, resolve(schemes.get(name, {}))) for name in dict.fromkeys(names)]


def documented_forms() -> list[tuple[str, TokenForm]]:
    """(scheme name, form) of each way the spec's security schemes take the token in a header."""
    found = []
    for name, scheme in _security_schemes():
        if scheme.get("type") == "http" and scheme.get("scheme"):
            http_scheme = str(scheme["scheme"])
            found.append((name, TokenForm("Authorization", http_scheme[:1].upper() + http_scheme[1:])))
        elif scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
            found.append((name, TokenForm(str(scheme["name"]), "")))
    return found


def other_forms() -> list[TokenForm]:
    """The common forms the spec does not document: what is asked when the documented one is refused."""
    documented = {form.key for _, form in documented_forms()}
    return [form for form in COMMON_FORMS if form.key not in documented]


def spec_says() -> str:
    forms = documented_forms()
    if not forms:
        return "the spec documents no security scheme that takes the token in a header"
    shown = "; ".join(f"{name}: {form.label}" for name, form in forms)
    return f"the operation takes the token as {shown}"


def authorization_scheme() -> str:
    """The HTTP scheme name the wire sends the token with (`Bearer`), read from the spec."""
    for _, form in documented_forms():
        if form.header == "Authorization" and form.scheme:
            return form.scheme
    raise ValueError(
        "the spec documents no HTTP auth scheme for the submit (Authorization: <scheme> <token>); "
        "the live check sends the token only that way"
    )
