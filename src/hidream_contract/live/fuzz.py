"""Schemathesis' negative cases for the live run: drawn from the spec, sent only when they break a
rule the documentation states as hard (the service must reject them, so on a faithful service they
cost nothing), each answer judged like a probe's."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import GenerationMode

from hidream_contract.live.findings import LiveResult
from hidream_contract.live.guard import CouldNotRun, NoAnswer
from hidream_contract.live.judge import Judge
from hidream_contract.live.requests_model import Intent, expectation_for
from hidream_contract.live.wire import Wire


def negative_cases(
    operation: Any, *, examples: int, seed: int, wire: Wire, judge: Judge, outcome: LiveResult
) -> None:
    aborted: list[CouldNotRun] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # no shrinking: it would send more requests
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def draw(case: Any) -> None:
        if aborted:
            return
        outcome.fuzz_drawn += 1
        headers = {
            **{k: str(v) for k, v in (case.headers or {}).items()},
            "Authorization": wire.authorization,
        }
        case.headers = headers
        expected = expectation_for(_serialized(case.body), headers, wire.authorization_digest)
        if expected.intent is not Intent.REJECT:
            return
        try:
            response = case.call(base_url=wire.base_url, session=wire.session)
        except NoAnswer as exc:
            outcome.inconclusive.append(f"negative case {outcome.fuzz_sent + 1}: {exc}")
            return
        except CouldNotRun as exc:
            aborted.append(exc)
            return
        outcome.fuzz_sent += 1
        judge.check(f"negative case {outcome.fuzz_sent}", case, response)

    draw()
    if aborted:
        raise aborted[0]


def _serialized(body: Any) -> bytes | str | None:
    if isinstance(body, bytes | str):
        return body
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return None
