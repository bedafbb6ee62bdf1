"""An image operation's inputs, checked and turned into the generated request builder's arguments.

Generic and hand-written: it reads the rows the spec generated (`hidream_api_client.surface`) and names
no field of the spec. What it adds is what a schema cannot say:

- the image (a URL, a local path, bytes or base64 text) is `_images.prepare_image`'s;
- a string input named `…_url`, or of format `uri`/`url`, must be an absolute http(s) URL (`check_url`);
- a header's text must be able to travel in a header (`header_text`), a body's text must be UTF-8;
- left out (or None, or NOT_GIVEN): a required input takes the spec's default, else its first allowed
  value; an optional body input with allowed values and a default takes that default (the generated
  model's); every other input is not sent, so the service applies its own default;
- `defaults` fills inputs the caller left out from the client's settings (`language=`).

Errors name the friendly keyword (`InvalidInputError`); an unknown keyword is a `TypeError`, as Python's own.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any

from hidream_api_client.surface import Input, Operation
from hidream_api_client.types import UNSET

from hidream import _validation as check
from hidream._core import NotGiven
from hidream._images import ImageInput, prepare_image
from hidream.errors import InvalidInputError

IMAGE_FIELD = "image"
URL_FORMATS = frozenset({"uri", "url", "uri-reference"})


def fallback(row: Input) -> Any:
    """What is sent when the caller leaves `row` out, or None for nothing (see the module's docstring)."""
    if row.required:
        if row.default is not None:
            return row.default
        return row.values[0] if row.values else None
    if row.location == "body" and row.values and row.default is not None:
        return row.default
    return None


def row(operation: Operation, keyword: str) -> Input:
    """The input of `operation` whose keyword is `keyword` (KeyError when the spec has none)."""
    for item in operation.inputs:
        if item.keyword == keyword:
            return item
    raise KeyError(f"{operation.operation_id} has no input {keyword!r}")


@functools.cache
def _enum(operation: Operation, name: str, location: str) -> type[Enum] | None:
    """The generated enum of an input (from the model's or the request builder's annotations)."""
    owner: Any = operation.body if location == "body" else operation.module._get_kwargs
    hint = typing.get_type_hints(owner).get(name)
    for member in typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,):
        if isinstance(member, type) and issubclass(member, Enum):
            return member
    return None


def _checked(operation: Operation, item: Input, value: object) -> object:
    field = item.keyword
    if not item.kind:
        raise InvalidInputError(field, "the client cannot send this input: its schema is not a plain value")
    if item.values:
        enum = _enum(operation, item.name, item.location)
        if enum is not None:
            return check.choice(field, value, enum)
        if not any(type(value) is type(v) and value == v for v in item.values):
            raise InvalidInputError(field, f"{value!r} is not allowed", allowed=list(item.values))
        return value
    if item.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(field, f"must be an integer, not {type(value).__name__}")
        return value
    if item.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInputError(field, f"must be a number, not {type(value).__name__}")
        return value
    if item.kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidInputError(field, f"must be true or false, not {type(value).__name__}")
        return value
    if item.format in URL_FORMATS or item.wire.endswith("_url"):
        return check.check_url(value, field=field)
    return check.header_text(field, value) if item.location != "body" else check.text(field, value)


def request(
    operation: Operation,
    image: ImageInput,
    given: Mapping[str, object],
    *,
    defaults: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """The request builder's arguments for `operation`: every input checked before anything is sent."""
    known = {item.keyword for item in operation.inputs}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"{operation.method_name}() got an unexpected keyword argument {unknown[0]!r}")
    body: dict[str, Any] = {IMAGE_FIELD: prepare_image(image)}
    arguments: dict[str, Any] = {}
    for item in operation.inputs:
        value = given.get(item.keyword)
        if isinstance(value, NotGiven):  # submit_and_wait's old spelling of "left out"
            value = None
        if value is None and defaults:
            value = defaults.get(item.keyword)
        if value is None:
            value = fallback(item)
        if value is None and item.required:
            raise InvalidInputError(item.keyword, "is required")
        target = body if item.location == "body" else arguments
        target[item.name] = UNSET if value is None else _checked(operation, item, value)
    arguments["body"] = operation.body(**body)
    return arguments
