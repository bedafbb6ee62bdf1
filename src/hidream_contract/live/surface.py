"""The documented surface of the operation, read from the spec, and which probe of a run exercised what.

Items: every body field, every header (the declared header parameters and the bearer `Authorization`),
every allowed value of an enum (body or header), every operation of the spec, and every documented
status. A field, header or value is exercised when a planned probe to the submit that carried it got
an answer; an operation, when a request to it got an answer (not a 429/5xx, not a redirect); a status,
when an answer had it. The share of the surface covered counts fields, headers, values and operations:
what the check sends. Statuses are reported but not counted, since the service, not the check, chooses
them (a faithful service may never send 403). A run that leaves a counted item unexercised cannot say
"the service matches the spec" (findings.LiveResult.exit_status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hidream_contract.live.requests_model import header_parameters, request_schema, spec
from hidream_contract.spec import operations, resolve, submit

SUBMIT_LABEL = submit().label


@dataclass(frozen=True)
class Sent:
    """What one planned probe sent, and what became of it."""

    probe: str
    body: Any
    headers: dict[str, str]  # names lower-cased; Authorization's value is never kept
    status: int | None  # None: no conclusive answer
    outcome: str  # "accepted", "rejected", "no conclusive answer", ...
    operation: str = SUBMIT_LABEL  # `POST /path`: the submit, or an operation of its shape


@dataclass(frozen=True)
class Item:
    kind: str  # "body field" | "header" | "value" | "status"
    label: str
    counted: bool = True
    body_field: str | None = None
    header: str | None = None
    value: Any = None
    has_value: bool = False
    status: int | None = None
    operation: str | None = None  # an operation item: its `METHOD /path`

    def carried_by(self, sent: Sent) -> bool:
        if self.operation is not None:
            return sent.operation == self.operation
        if self.status is not None:
            return sent.status == self.status and sent.operation == SUBMIT_LABEL
        if sent.operation != SUBMIT_LABEL:
            return False
        if self.body_field is not None:
            if not isinstance(sent.body, dict) or self.body_field not in sent.body:
                return False
            return not self.has_value or _same(sent.body[self.body_field], self.value)
        if self.header is not None:
            if self.header.lower() not in sent.headers:
                return False
            return not self.has_value or sent.headers[self.header.lower()] == str(self.value)
        return False


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _bearer_header() -> list[str]:
    """`Authorization` when the operation's security names an HTTP bearer scheme."""
    schemes = spec().get("components", {}).get("securitySchemes", {})
    operation = spec()["paths"][submit().path][submit().method.lower()]
    names = [
        name for requirement in operation.get("security", spec().get("security", [])) for name in requirement
    ]
    bearer = [n for n in names if resolve(schemes.get(n, {})).get("scheme", "").lower() == "bearer"]
    return ["Authorization"] if bearer else []


def documented_surface() -> list[Item]:
    schema = request_schema()
    required = set(schema.get("required", []))
    items: list[Item] = []
    for name, prop in schema.get("properties", {}).items():
        items.append(
            Item("body field", f"`{name}`" + (" (required)" if name in required else ""), body_field=name)
        )
        items += [
            Item("value", f"`{name}` = {value!r}", body_field=name, value=value, has_value=True)
            for value in resolve(prop).get("enum", [])
        ]
    for name in _bearer_header():
        items.append(Item("header", f"`{name}` (bearer token)", header=name))
    for param in header_parameters():
        items.append(
            Item("header", f"`{param['name']}`" + (" (required)" if param.get("required") else ""),
                 header=param["name"])
        )  # fmt: skip
        items += [
            Item("value", f"`{param['name']}` = {value!r}", header=param["name"], value=value, has_value=True)
            for value in param.get("schema", {}).get("enum", [])
        ]
    items += [
        Item(
            "operation",
            f"`{op.label}`" + (f" ({op.operation_id})" if op.operation_id else ""),
            operation=op.label,
        )
        for op in operations()
    ]
    items += [Item("status", f"HTTP {s}", counted=False, status=s) for s in sorted(submit().statuses)]
    return items


@dataclass
class Row:
    item: Item
    by: list[Sent] = field(default_factory=list)
    answered: bool = False  # an operation item: a request to it got an answer

    @property
    def covered(self) -> bool:
        if self.item.operation is not None:
            return self.answered
        return any(s.status is not None for s in self.by)


def coverage(sent: list[Sent], answered_operations: frozenset[str] | set[str] = frozenset()) -> list[Row]:
    """Every documented item with the probes that carried it; `answered_operations`: the `METHOD /path`
    of each operation a request got an answer from (the result reads' included)."""
    return [
        Row(item, [s for s in sent if item.carried_by(s)], item.operation in answered_operations)
        for item in documented_surface()
    ]


def not_exercised(rows: list[Row]) -> list[str]:
    """The counted items no answer covered, as the report names them."""
    return [row.item.label for row in rows if row.item.counted and not row.covered]


def share(rows: list[Row]) -> tuple[int, int]:
    """(covered, total) over the counted items: fields, headers, values, operations."""
    counted = [row for row in rows if row.item.counted]
    return sum(1 for row in counted if row.covered), len(counted)
