"""The explicit requests of a live run, and which of them a budget allows.

Requests meant to be accepted use only the spec's own examples (a real image URL and a real PNG),
never generated text: the live service fetches or decodes `image`. Every request that names a real
image is billable (it could become a paid task if the service drifted), so those are listed in the
order they are worth running; the free ones (no real image) always run.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hidream_contract.live.guard import CouldNotRun
from hidream_contract.live.requests_model import names_real_image, spec
from hidream_contract.spec import submit

SUBMIT_PATH = submit().path

INVALID_TOKEN = "contract-check-invalid-token"  # not a secret: a token no account has


class TokenEvidence(enum.Enum):
    """What a probe's answer says about the run's own token: whether the check can run at all."""

    ANONYMOUS = "an empty body without a token: how this service refuses"
    TOKEN_ONLY = "an empty body with the token: a 401/403 here can only mean the token is refused"
    VALID_REQUEST = "the provider's own request with the token"


@dataclass(frozen=True)
class Probe:
    name: str  # for people (reports); behaviour hangs on the typed fields below
    purpose: str
    body: Any
    auth: str = "token"  # "token" | "none" | "invalid"
    headers: dict[str, str] = field(default_factory=dict)
    token_evidence: TokenEvidence | None = None

    @property
    def billable(self) -> bool:
        return names_real_image(json.dumps(self.body))


@cache
def examples() -> dict[str, dict[str, Any]]:
    operation = spec()["paths"][SUBMIT_PATH]["post"]
    found = operation["requestBody"]["content"]["application/json"]["examples"]
    return {name: dict(example["value"]) for name, example in found.items()}


def _url_example(**changes: Any) -> dict[str, Any]:
    body = {**examples()["imageUrl"], **changes}
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def free_probes() -> list[Probe]:
    """Requests with no real image in them: nothing a service could bill, drifted or not."""
    return [
        Probe(
            "no token, empty body",
            "a request without credentials is rejected",
            {},
            auth="none",
            token_evidence=TokenEvidence.ANONYMOUS,
        ),
        Probe(
            "empty body",
            "a body without `image` and `upsale_ratio` is rejected",
            {},
            token_evidence=TokenEvidence.TOKEN_ONLY,
        ),
        Probe("missing image", "`image` is required", {"upsale_ratio": 2, "version": "v1"}),
        Probe("image not a string", "`image` is a string", {"image": 123, "upsale_ratio": 2}),
        Probe("empty image", "`image` is a non-empty string", {"image": "", "upsale_ratio": 2}),
        Probe("body not an object", "the body is a JSON object", ["not", "an", "object"]),
    ]


def billable_probes() -> list[Probe]:
    """Requests that name a real image, most valuable first."""
    return [
        Probe(
            "example imageUrl",
            "the provider's own request is accepted",
            examples()["imageUrl"],
            token_evidence=TokenEvidence.VALID_REQUEST,
        ),
        Probe(
            "example imageBase64", "a base64 PNG with upsale_ratio 4 is accepted", examples()["imageBase64"]
        ),
        Probe(
            "no token", "a real request without credentials is rejected", examples()["imageUrl"], auth="none"
        ),
        Probe(
            "invalid token",
            "a real request with another token is rejected",
            examples()["imageUrl"],
            auth="invalid",
        ),
        Probe("upsale_ratio 3", "a ratio other than 2 or 4 is rejected", _url_example(upsale_ratio=3)),
        Probe("version v2", "a version other than v1 is rejected", _url_example(version="v2")),
        Probe("missing upsale_ratio", "`upsale_ratio` is required", _url_example(upsale_ratio=_DROP)),
        Probe(
            "unknown body field", "documentation silent: recorded", _url_example(x_undocumented_field=True)
        ),
        Probe(
            "unsupported X-accept-language",
            "documentation silent: recorded",
            examples()["imageUrl"],
            headers={"X-accept-language": "fr"},
        ),
    ]


@dataclass(frozen=True)
class Plan:
    free: list[Probe]
    billable: list[Probe]
    skipped: list[Probe]  # billable probes the budget leaves out (HIDREAM_LIVE_PROBES=auto)
    fuzz: bool


def plan(probe_set: str, max_billable: int) -> Plan:
    """What runs. `all` and `auto` need at least the first billable probe (the success envelope can
    only be seen on an accepted task); `all` needs the whole list; `free` sends nothing billable."""
    free, billable = free_probes(), billable_probes()
    assert all(not p.billable for p in free), "a free probe names a real image"
    assert all(p.billable for p in billable), "a billable probe names no real image"
    if probe_set == "free":
        return Plan(free, [], billable, fuzz=True)
    needed = len(billable) if probe_set == "all" else 1
    if max_billable < needed:
        raise CouldNotRun(
            f"the budget is too small for the checks asked: HIDREAM_LIVE_PROBES={probe_set} needs "
            f"HIDREAM_LIVE_MAX_BILLABLE >= {needed} (it is {max_billable}); "
            + ("" if probe_set == "all" else "HIDREAM_LIVE_PROBES=free runs only requests that cost nothing")
        )
    return Plan(free, billable[:max_billable], billable[max_billable:], fuzz=True)
