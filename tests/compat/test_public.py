"""The public-API judge: each way of breaking what users import is found, and additions are not.

The descriptions are what `public.describe()` makes of `hidream` (the fixture takes today's; the gate
runs it in a subprocess over each generated client); each case edits a copy the way a change to the
spec or to the client would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from hidream_contract.compat import public
from hidream_contract.compat.judges import Finding, JudgeReport
from hidream_contract.compat.report import Outcome

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def today() -> dict[str, Any]:
    return public.describe()  # in process: today's hidream over the committed client


def _submit(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = d["methods"]["HiDream.upscale"]["submit"]
    return found


def _flags(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = d["cli"]["commands"]["submit"]["flags"]
    return found


BREAKING: dict[str, tuple[Edit, str]] = {
    "export removed": (lambda d: d["names"].remove("RetryPolicy"), "name-removed"),
    "method removed": (lambda d: d["methods"]["HiDream.upscale"].pop("submit_and_wait"), "method-removed"),
    "keyword removed": (lambda d: _submit(d).pop("user_id"), "keyword-removed"),
    "keyword required": (lambda d: _submit(d)["notify_url"].update(required=True), "keyword-required"),
    "required keyword added": (
        lambda d: _submit(d).update(seed={"required": True, "type": "int"}),
        "keyword-added-required",
    ),
    "value removed": (lambda d: d["values"]["submit(upsale_ratio)"].pop(), "value-removed"),
    "command removed": (lambda d: d["cli"]["commands"].pop("result"), "command-removed"),
    "flag removed": (lambda d: _flags(d).pop("--user-id"), "flag-removed"),
    "flag required": (lambda d: _flags(d)["--notify-url"].update(required=True), "flag-required"),
    "choice removed": (lambda d: _flags(d)["--ratio"]["choices"].pop(), "choice-removed"),
    "exit code changed": (
        lambda d: d["cli"]["exit_codes"].update(AuthenticationError=4),
        "exit-code-changed",
    ),
}


def test_today_describes_the_submit_keywords_and_flags(today: dict[str, Any]) -> None:
    assert {"upsale_ratio", "version", "notify_url", "request_id", "language", "user_id"} <= set(
        _submit(today)
    )
    assert {"--ratio", "--model-version", "--notify-url", "--request-id", "--language", "--user-id"} <= set(
        _flags(today)
    )
    assert today["cli"]["exit_codes"]["InvalidInputError"] == 2
    assert public.compare(today, today) == []


@pytest.mark.parametrize("name", list(BREAKING))
def test_a_change_that_breaks_users_is_breaking(today: dict[str, Any], name: str) -> None:
    edit, rule = BREAKING[name]
    new = copy.deepcopy(today)
    edit(new)
    findings = public.compare(today, new)
    assert [f.rule for f in findings if f.level == "error"] == [rule]


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: _submit(d).update(seed={"required": False, "type": "int | None"}),
        lambda d: d["values"]["submit(upsale_ratio)"].append("8"),
        lambda d: _flags(d)["--ratio"]["choices"].append("8"),
        lambda d: _flags(d).update({"--seed": {"required": False, "choices": [], "value": True, "help": ""}}),
        lambda d: d["cli"]["commands"].update(other=copy.deepcopy(d["cli"]["commands"]["submit"])),
    ],
    ids=["optional keyword", "value", "choice", "flag", "command"],
)
def test_an_addition_is_compatible(today: dict[str, Any], edit: Edit) -> None:
    new = copy.deepcopy(today)
    edit(new)
    assert public.compare(today, new) == []


def test_a_keyword_whose_annotation_changes_is_a_warning(today: dict[str, Any]) -> None:
    new = copy.deepcopy(today)
    _submit(new)["version"]["type"] = "int"
    assert [(f.level, f.rule) for f in public.compare(today, new)] == [("warning", "keyword-type-changed")]


def test_a_gap_fails_the_gate_whatever_the_version() -> None:
    from hidream_contract.compat.judge import Verdict

    gap = JudgeReport("completeness", "c", [Finding("gap", "not-reachable", "no flag", "op: body seed")])
    outcome = Outcome("1.0.0", "2.0.0", Verdict(), [], False, [gap])
    assert not outcome.breaking
    assert outcome.exit_code == 1
    assert "INCOMPLETE" in outcome.headline()
    complete = Outcome("1.0.0", "1.0.0", Verdict(), [], True, [JudgeReport("completeness", "c")])
    assert complete.exit_code == 0


def test_the_surface_config_names_nothing_the_spec_lacks_today_and_says_so_after_a_removal() -> None:
    from hidream_contract.spec import load
    from hidream_contract.surface import load_config, rows, stale_names

    config = load_config()
    document = load()
    assert stale_names(rows(document, config)[0], config) == []
    del document["components"]["parameters"]["ApiUserId"]
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p != {"$ref": "#/components/parameters/ApiUserId"}
                ]
    assert stale_names(rows(document, config)[0], config) == ["input api_user_id"]
