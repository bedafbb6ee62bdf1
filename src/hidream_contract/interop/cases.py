"""What every interop driver decodes: each response example the spec declares, read from the spec.

A case is a status and a body as wire text, with what a correct client makes of it: a task (its
`task_id` and `sub_task_ids`) when `code` is 0, else an error (its `code` and `message`). Besides the
declared examples, each 200 rejection is also given with `result` null and `{}`, but only where the
spec allows that body: a rejection the spec admits must decode in every generated client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from hidream_contract import spec as spec_module

TOKEN = "interop-token"  # noqa: S105 - sent to the local Prism mock only, which accepts any bearer token
REJECTION_RESULTS: dict[str, Any] = {"null": None, "{}": {}}
"""What a rejection's `result` may hold that no example shows: the provider documents none."""


@dataclass(frozen=True)
class Case:
    id: str  # "200 accepted", "200 rejected, result {}"
    status: int
    example: str | None  # the spec's example name (Prism serves it), None for a derived body
    body: Any

    @property
    def expected(self) -> dict[str, Any]:
        """What a correct client reads from the body."""
        if self.body.get("code") == 0:
            result = self.body["result"]
            return {"kind": "task", "task_id": result["task_id"], "sub_task_ids": result["sub_task_ids"]}
        return {"kind": "error", "code": self.body["code"], "message": self.body["message"]}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "example": self.example, "body": json.dumps(self.body)}


def response_validator(status: int, spec_path: Path = spec_module.SPEC_PATH) -> jsonschema.Validator:
    """A JSON Schema 2020-12 validator of the body the spec gives `status` of the submit."""
    document = spec_module.load(spec_path)
    op = spec_module.operation(spec_module.SUBMIT_ID, spec_path)
    response = spec_module.resolve(
        document["paths"][op.path][op.method.lower()]["responses"][str(status)], spec_path
    )
    schema = response["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**document, **schema})


def cases(spec_path: Path = spec_module.SPEC_PATH) -> list[Case]:
    found = []
    for (status, name), body in sorted(spec_module.response_examples(path=spec_path).items()):
        found.append(Case(f"{status} {name}", status, name, body))
        if 200 <= status < 300 and body.get("code") != 0:
            validator = response_validator(status, spec_path)
            for label, result in REJECTION_RESULTS.items():
                variant = {**body, "result": result}
                if validator.is_valid(variant):
                    found.append(Case(f"{status} {name}, result {label}", status, None, variant))
    return found


def not_driven(spec_path: Path = spec_module.SPEC_PATH) -> dict[str, int]:
    """Operations whose response examples no driver decodes yet (the drivers call the submit), with
    how many examples each declares: the report names them, so the gap is never silent."""
    found = {}
    for op in spec_module.operations(spec_path):
        if op.operation_id != spec_module.SUBMIT_ID:
            count = len(spec_module.response_examples(op.operation_id, spec_path))
            if count:
                found[op.operation_id] = count
    return found


def driver_input(spec_path: Path = spec_module.SPEC_PATH) -> dict[str, Any]:
    """The JSON every driver reads: the operation, a request to send, the token and the cases."""
    op = spec_module.operation(spec_module.SUBMIT_ID, spec_path)
    request = next(iter(spec_module.request_examples(path=spec_path).values()))
    return {
        "operation": {"method": op.method, "path": op.path},
        "request": request,
        "token": TOKEN,
        "cases": [case.to_json() for case in cases(spec_path)],
    }


def judge(case: Case, got: dict[str, Any] | None) -> str:
    """'' when the driver read the case right, else what went wrong."""
    if got is None:
        return "no answer from the driver"
    if got.get("kind") == "failed":
        return str(got.get("detail", "failed"))
    expected = case.expected
    wrong = {key: got.get(key) for key, value in expected.items() if got.get(key) != value}
    return "" if not wrong else f"read {wrong}, expected {expected}"
