"""The verdict: what the old spec allowed a client to send must still be accepted, and what the new
spec allows the service to answer must still be readable by a client built from the old spec.

Validation is JSON Schema 2020-12 (OpenAPI 3.1's dialect) by `jsonschema`, formats asserted, each
schema validated inside its whole document so that `$ref`s resolve.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, relevance

from hidream_contract.compat.loading import Spec
from hidream_contract.compat.openapi import (
    covering_status,
    find_media,
    is_json,
    operations,
    request_body,
    resolve,
    responses,
    security,
)
from hidream_contract.compat.samples import Sample, request_samples, response_samples
from hidream_contract.openapi30 import schemas_as_31
from hidream_contract.spec import Operation, parameter_key

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """One way an old client breaks; `path` is where in the body (or the parameter) it happens."""

    direction: str  # "request" or "response"
    operation: str  # "POST /path"
    status: str | None  # the response status, for responses
    location: str  # "operation", "status", "body", "media type", "header 'X'", "security"
    path: Pointer
    message: str = field(compare=False)  # the first sample's words; findings differ by place

    @property
    def where(self) -> str:
        status = f" {self.status}" if self.status else ""
        dotted = ".".join(str(p) for p in self.path)
        at = f" at `{dotted}`" if dotted else ""
        return f"{self.direction}{status} {self.location}{at}"


@dataclass
class Evidence:
    """A finding and the samples that showed it (the first one is quoted in the report)."""

    finding: Finding
    sample_source: str
    sample: str
    count: int = 1


@dataclass
class Verdict:
    evidence: list[Evidence] = field(default_factory=list)
    requests_checked: int = 0
    responses_checked: int = 0

    @property
    def breaking(self) -> bool:
        return bool(self.evidence)

    def add(self, finding: Finding, sample: Sample | None) -> None:
        for known in self.evidence:
            if known.finding == finding:
                known.count += 1
                return
        source, shown = ("the specs themselves", "") if sample is None else (sample.source, _shown(sample))
        self.evidence.append(Evidence(finding, source, shown))


def _shown(sample: Sample, limit: int = 400) -> str:
    shown = {"headers": sample.headers} if sample.headers and sample.parameters_checked else {}
    if sample.has_body:
        shown["body"] = sample.body
    text = json.dumps(shown, ensure_ascii=False, default=repr, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validator(spec: Spec, schema: Any) -> jsonschema.Draft202012Validator:
    if isinstance(schema, bool):
        return jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
    # The schema inside its document: none of OpenAPI's top-level keys is a JSON Schema keyword.
    root = {**spec, **schema}
    return jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _error(error: ValidationError) -> tuple[Pointer, str]:
    path: Pointer = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(error.validator_value) if isinstance(error.validator_value, list) else []
        missing = [name for name in required if name not in error.instance]
        if missing:
            return (*path, missing[0]), f"required property '{missing[0]}' is missing"
    message = error.message
    if len(message) > 200:
        message = message[:199] + "…"
    return path, message


def _depth(error: ValidationError) -> int:
    return len(_error(error)[0])


def _leaf(error: ValidationError) -> ValidationError:
    """The error to report under a `oneOf`/`anyOf`: from the branch the instance came closest to
    (fewest errors, then the deepest one), so a renamed field is named rather than a sibling branch."""
    if not error.context:
        return error
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    closest = min(branches.values(), key=lambda errors: (len(errors), -max(map(_depth, errors))))
    return _leaf(max(closest, key=_depth))


def schema_errors(spec: Spec, schema: Any, instance: Any) -> tuple[Pointer, str] | None:
    errors = list(validator(spec, schema).iter_errors(instance))
    return _error(_leaf(max(errors, key=relevance))) if errors else None


def _coerced(value: Any, schema: Any) -> list[Any]:
    """A parameter arrives as text: the value itself, and its reading as the types the schema names."""
    readings = [value]
    types = schema.get("type") if isinstance(schema, dict) else None
    wanted = set(types if isinstance(types, list) else [types])
    if isinstance(value, str):
        if wanted & {"integer", "number"}:
            with contextlib.suppress(ValueError):
                readings.append(json.loads(value))
        if "boolean" in wanted and value in ("true", "false"):
            readings.append(value == "true")
    return readings


def _parameters(sample: Sample, location: str) -> dict[str, Any]:
    source = {
        "header": sample.headers,
        "query": sample.query,
        "path": sample.path_parameters,
        "cookie": sample.cookies,
    }[location]
    return {parameter_key(location, name)[1]: value for name, value in source.items()}


def _parameter_findings(
    spec: Spec, sample: Sample, declared: Mapping[tuple[str, str], Mapping[str, Any]], **where: Any
) -> Iterator[Finding]:
    for (location, key), parameter in declared.items():
        sent = _parameters(sample, location)
        label = f"{location} '{parameter['name']}'"
        if key not in sent:
            if parameter.get("required"):
                yield Finding(
                    **where, location=label, path=(), message="required but not sent by old clients"
                )
            continue
        schema = resolve(spec, parameter.get("schema", {}))
        errors = [schema_errors(spec, schema, reading) for reading in _coerced(sent[key], schema)]
        if all(errors) and errors[0] is not None:
            yield Finding(**where, location=label, path=errors[0][0], message=errors[0][1])


def check_request(new: Spec, operation: Operation, sample: Sample) -> Iterator[Finding]:
    """Findings for one request valid under the old spec, judged by the new spec's `operation`."""
    where: dict[str, Any] = {"direction": "request", "operation": operation.label, "status": None}
    if sample.parameters_checked:
        yield from _parameter_findings(new, sample, operation.parameters, **where)
    body = request_body(new, operation)
    if not sample.has_body:
        if body and body.get("required"):
            yield Finding(**where, location="body", path=(), message="a body is now required")
        return
    content = (body or {}).get("content") or {}
    media_type = find_media(content, sample.media_type or "")
    if media_type is None:
        yield Finding(
            **where, location="media type", path=(), message=f"{sample.media_type} is no longer accepted"
        )
        return
    if is_json(media_type) and (
        error := schema_errors(new, content[media_type].get("schema", {}), sample.body)
    ):
        yield Finding(**where, location="body", path=error[0], message=error[1])


def check_response(
    old: Spec, label: str, status: str, old_response: dict[str, Any], sample: Sample
) -> Iterator[Finding]:
    """Findings for one response the new spec allows, read by a client of the old spec."""
    where: dict[str, Any] = {"direction": "response", "operation": label, "status": status}
    for name, header in (old_response.get("headers") or {}).items():
        header = resolve(old, header)
        sent = {k.lower(): v for k, v in sample.headers.items()}
        if not sample.parameters_checked or name.lower() == "content-type":
            continue
        if name.lower() not in sent:
            if header.get("required"):
                yield Finding(
                    **where,
                    location=f"header '{name}'",
                    path=(),
                    message="old clients require it; it may be absent now",
                )
            continue
        schema = resolve(old, header.get("schema", {}))
        if error := schema_errors(old, schema, sent[name.lower()]):
            yield Finding(**where, location=f"header '{name}'", path=error[0], message=error[1])
    content = old_response.get("content") or {}
    if not sample.has_body:
        return
    media_type = find_media(content, sample.media_type or "")
    if media_type is None:
        yield Finding(
            **where, location="media type", path=(), message=f"old clients do not read {sample.media_type}"
        )
        return
    if is_json(media_type) and (
        error := schema_errors(old, content[media_type].get("schema", {}), sample.body)
    ):
        yield Finding(**where, location="body", path=error[0], message=error[1])


def _security_kept(old: list[frozenset[str]], new: list[frozenset[str]]) -> bool:
    """Every way an old client authenticates still satisfies some alternative of the new spec."""
    if not new:
        return True
    return all(any(alternative <= credentials for alternative in new) for credentials in old or [frozenset()])


def _is_success(status: str) -> bool:
    return status.startswith(("1", "2", "3"))


def judge(old: Spec, new: Spec, *, examples: int, seed: int) -> Verdict:
    # A 3.0 document (the spec's 3.0 rendition, judged against its previous one) is read with 3.0's
    # `nullable`, which 2020-12 does not know.
    old, new = schemas_as_31(old), schemas_as_31(new)
    verdict = Verdict()
    old_ops, new_ops = operations(old), operations(new)
    for key, old_op in old_ops.items():
        where: dict[str, Any] = {"operation": old_op.label, "status": None, "path": ()}
        new_op = new_ops.get(key)
        if new_op is None:
            verdict.add(
                Finding("request", **where, location="operation", message="the operation was removed"), None
            )
            continue
        if not _security_kept(security(old, old_op), security(new, new_op)):
            verdict.add(
                Finding(
                    "request",
                    **where,
                    location="security",
                    message="the credentials old clients send no longer suffice",
                ),
                None,
            )
        for sample in request_samples(old, old_op, examples, seed):
            verdict.requests_checked += 1
            for finding in check_request(new, new_op, sample):
                verdict.add(finding, sample)
        _judge_responses(verdict, old, new, old_op, new_op, examples=examples, seed=seed)
    return verdict


def _judge_responses(
    verdict: Verdict, old: Spec, new: Spec, old_op: Operation, new_op: Operation, *, examples: int, seed: int
) -> None:
    old_responses, new_responses = responses(old, old_op), responses(new, new_op)
    label = old_op.label
    for status in old_responses:
        if covering_status(new_responses, status) is None:
            # Undocumented now, so its body may be anything: old clients parse it with the old model.
            message = "no longer documented: old clients expect the documented body"
            verdict.add(Finding("response", label, status, "status", (), message), None)
    for status, new_response in new_responses.items():
        old_status = covering_status(old_responses, status)
        if old_status is None:
            if _is_success(status):
                message = "a new success status: old clients do not read it"
                verdict.add(Finding("response", label, status, "status", (), message), None)
            # A new error status documents what old clients already treat as an unexpected answer.
            continue
        for sample in response_samples(new, new_response, examples, seed):
            verdict.responses_checked += 1
            for finding in check_response(old, label, status, old_responses[old_status], sample):
                verdict.add(finding, sample)
