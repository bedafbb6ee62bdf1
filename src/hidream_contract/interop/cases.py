"""What every interop driver decodes: each response example the spec declares, read from the spec.

A case is an operation, a status and a body as wire text, with what a correct client makes of it:
when `code` is 0, the operation's `result` (the driver decodes it into the generated model, checks
its type and writes it back with the model's own serializer: it must equal the wire `result`); any
other `code`, an error with its `code` and `message`. Besides the declared examples, each 2xx
rejection is also given with `result` null and `{}`, where the spec allows that body: a rejection the
spec admits must decode in every generated client. And every declared example is given once more with a
harmless extra field (`EXTRA_FIELD`) in the envelope, in `result` and in each sub-task: the spec names no
`additionalProperties: false`, so a client must read such an answer as it reads the example (the
extra field may be kept or dropped, never refused).
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
EXTRA_FIELD = "trace_id"
"""A field the spec does not name, as a gateway adds one (the simulator's harmless scenarios do too)."""
EXTRA_VALUE = "4bf92f3577b34da6a3ce929d0e0e4736"


@dataclass(frozen=True)
class Case:
    id: str  # "submitUpscaleTask 200 accepted", "submitUpscaleTask 200 rejected, result {}"
    operation: str  # the operationId
    status: int
    example: str | None  # the spec's example name (Prism serves it), None for a derived body
    body: Any
    extra: bool = False  # the body carries EXTRA_FIELD, which the client may keep or drop

    @property
    def expected(self) -> dict[str, Any]:
        """What a correct client reads from the body."""
        body = without_extra(self.body) if self.extra else self.body
        if body.get("code") == 0:
            return {"kind": "ok", "result": body["result"]}
        return {"kind": "error", "code": body["code"], "message": body["message"]}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "status": self.status,
            "example": self.example,
            "body": json.dumps(self.body),
        }


def with_extra(body: Any) -> Any:
    """`body` with EXTRA_FIELD in the envelope, in `result` and in each of its sub-tasks (where objects)."""
    extended = {**body, EXTRA_FIELD: EXTRA_VALUE}
    result = body.get("result")
    if isinstance(result, dict):
        extended["result"] = {**result, EXTRA_FIELD: EXTRA_VALUE}
        subtasks = result.get("sub_task_results")
        if isinstance(subtasks, list):
            extended["result"]["sub_task_results"] = [
                {**item, EXTRA_FIELD: EXTRA_VALUE} if isinstance(item, dict) else item for item in subtasks
            ]
    return extended


def without_extra(value: Any) -> Any:
    """`value` with every EXTRA_FIELD taken out, at any depth: what a client that kept it wrote back."""
    if isinstance(value, dict):
        return {key: without_extra(item) for key, item in value.items() if key != EXTRA_FIELD}
    if isinstance(value, list):
        return [without_extra(item) for item in value]
    return value


def response_validator(
    status: int, spec_path: Path = spec_module.SPEC_PATH, operation_id: str = spec_module.SUBMIT_ID
) -> jsonschema.Validator:
    """A JSON Schema 2020-12 validator of the body the spec gives `status` of an operation."""
    response = spec_module.resolve(
        spec_module.operation(operation_id, spec_path).definition["responses"][str(status)], spec_path
    )
    schema = response["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**spec_module.load(spec_path), **schema})


def cases(spec_path: Path = spec_module.SPEC_PATH) -> list[Case]:
    found = []
    for op in spec_module.operations(spec_path):
        examples = spec_module.response_examples(op.operation_id, spec_path)
        for (status, name), body in sorted(examples.items()):
            found.append(Case(f"{op.operation_id} {status} {name}", op.operation_id, status, name, body))
            case_id = f"{op.operation_id} {status} {name}, with a harmless extra field"
            found.append(Case(case_id, op.operation_id, status, None, with_extra(body), extra=True))
            if 200 <= status < 300 and body.get("code") != 0:
                validator = response_validator(status, spec_path, op.operation_id)
                for label, result in REJECTION_RESULTS.items():
                    variant = {**body, "result": result}
                    if validator.is_valid(variant):
                        case_id = f"{op.operation_id} {status} {name}, result {label}"
                        found.append(Case(case_id, op.operation_id, status, None, variant))
    return found


def _call(operation_id: str, spec_path: Path) -> dict[str, Any]:
    """How a driver calls an operation on the mock: method, path, a request body, query parameters
    (each from the spec's own examples)."""
    op = spec_module.operation(operation_id, spec_path)
    body = None
    if "requestBody" in op.definition:
        body = next(iter(spec_module.request_examples(operation_id, spec_path).values()))
    query = {}
    for parameter in op.parameters.values():
        if parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = parameter["example"]
    return {"method": op.method, "path": op.path, "body": body, "query": query}


def driver_input(spec_path: Path = spec_module.SPEC_PATH) -> dict[str, Any]:
    """The JSON every driver reads: how to call each operation, the token and the cases."""
    found = cases(spec_path)
    return {
        "operations": {op: _call(op, spec_path) for op in dict.fromkeys(case.operation for case in found)},
        "token": TOKEN,
        "cases": [case.to_json() for case in found],
    }


def judge(case: Case, got: dict[str, Any] | None) -> str:
    """'' when the driver read the case right, else what went wrong."""
    if got is None:
        return "no answer from the driver"
    if got.get("kind") == "failed":
        return str(got.get("detail", "failed"))
    expected = case.expected
    if case.extra:
        got = without_extra(got)
    wrong = {key: got.get(key) for key, value in expected.items() if got.get(key) != value}
    return "" if not wrong else f"read {json.dumps(wrong)}, expected {json.dumps(expected)}"
