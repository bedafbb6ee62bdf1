"""The request surface comes from the spec: every input of every image operation reaches the wire through
the client (sync and async) and the CLI under the spec's name, and every operation has its typed method.

Nothing here names a field: the rows are read from the generated `hidream_api_client.surface` and the
spec, so an input the spec gains is tested here by regeneration alone.
"""

from __future__ import annotations

import inspect
import json
import typing
from typing import Any

import anyio
import pytest
from hidream_api_client import surface
from hidream_api_client.surface import OPERATIONS, Input, Operation

import hidream_contract.compat.public as public
from hidream import AsyncHiDream, HiDream, InvalidInputError
from hidream._inputs import fallback
from hidream._upscale import AsyncUpscale, Upscale
from hidream_contract import spec
from hidream_contract.surface import python_name, rows
from tests.doubles.http import IMAGE_URL, TOKEN, Script, async_transport, ok, sync_transport

CASES = [(op, item) for op in OPERATIONS for item in op.inputs]
IDS = [f"{op.operation_id}:{item.wire}" for op, item in CASES]


def _arrived(request: Any, item: Input, value: object) -> bool:
    if item.location == "body":
        return bool(json.loads(request.content).get(item.wire) == value)
    return bool(request.headers.get(item.wire) == str(value))


def test_the_generated_rows_are_the_specs_inputs() -> None:
    # The generated module is what the generator makes of today's spec (make check-generated holds the
    # file; this holds the rows): every body field but the image and every header, in the spec's order.
    document = spec.load()
    found, others = rows(document, {})
    assert [op.operation_id for op in found] == [op.operation_id for op in OPERATIONS]
    assert set(others) == set(surface.OTHER_OPERATIONS)
    for op in OPERATIONS:
        definition = spec.operation(op.operation_id)
        body = spec.resolve(definition.definition["requestBody"]["content"]["application/json"]["schema"])
        headers = [p["name"] for p in definition.header_parameters()]
        assert [i.wire for i in op.inputs] == [f for f in body["properties"] if f != "image"] + headers
        for item in op.inputs:
            assert item.name == python_name(item.wire)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
@pytest.mark.parametrize("resource", [Upscale, AsyncUpscale])
def test_every_image_operation_has_its_typed_method(op: Operation, resource: type) -> None:
    # Fails until a maintainer adds the operation's method to _upscale.py (docs/compat.md says how).
    method = getattr(resource, op.method_name, None)
    assert method is not None, f"add `{op.method_name}` for {op.operation_id} to {resource.__name__}"
    kwargs = next(p for p in inspect.signature(method).parameters.values() if p.kind is p.VAR_KEYWORD)
    hint = public._evaluated(method, kwargs.annotation)
    assert typing.get_args(hint) == (op.typed,)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
def test_the_typed_keywords_are_the_inputs_the_client_can_send(op: Operation) -> None:
    typed = op.typed
    assert list(typing.get_type_hints(typed)) == [item.keyword for item in op.inputs if item.kind]


@pytest.mark.parametrize(("op", "item"), CASES, ids=IDS)
def test_every_input_reaches_the_wire_from_the_sync_and_the_async_client(op: Operation, item: Input) -> None:
    value = public.sample(item)
    script = Script(ok())
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        getattr(client.upscale, op.method_name)(IMAGE_URL, **{item.keyword: value})

    async def main() -> None:
        async with AsyncHiDream(token=TOKEN, http_client=async_transport(script)) as aclient:
            await getattr(aclient.upscale, op.method_name)(IMAGE_URL, **{item.keyword: value})

    anyio.run(main)
    assert script.sent == 2
    assert all(_arrived(request, item, value) for request in script.requests)
    assert all(request.url.path.endswith(op.path) for request in script.requests)


@pytest.mark.parametrize(("op", "item"), CASES, ids=IDS)
def test_a_value_of_the_wrong_kind_names_the_keyword_and_sends_nothing(op: Operation, item: Input) -> None:
    script = Script(ok())
    wrong: Any = 3.5 if item.kind == "string" else "text"
    with (
        HiDream(token=TOKEN, http_client=sync_transport(script)) as client,
        pytest.raises(InvalidInputError) as raised,
    ):
        client.upscale.send(op, IMAGE_URL, **{item.keyword: wrong})
    assert raised.value.field == item.keyword
    assert script.sent == 0


@pytest.mark.parametrize(("op", "item"), CASES, ids=IDS)
def test_left_out_inputs_are_sent_only_when_the_spec_makes_them(op: Operation, item: Input) -> None:
    script = Script(ok())
    with HiDream(token=TOKEN, http_client=sync_transport(script)) as client:
        client.upscale.send(op, IMAGE_URL)
    request = script.requests[0]
    expected = fallback(item)
    if expected is None:
        present = item.wire in (request.headers if item.location != "body" else script.body())
        assert not present
    else:
        assert _arrived(request, item, expected)


def test_an_unknown_keyword_is_a_type_error_as_python_raises_it() -> None:
    script = Script(ok())
    with (
        HiDream(token=TOKEN, http_client=sync_transport(script)) as client,
        pytest.raises(TypeError, match="seedz"),
    ):
        client.upscale.submit(IMAGE_URL, seedz=1)  # type: ignore[call-arg]
    assert script.sent == 0


@pytest.mark.slow
def test_the_completeness_check_sends_every_input_through_the_client_and_the_cli() -> None:
    # In process, against a recorder on 127.0.0.1 (stopped at the end): today nothing is missing.
    assert public.complete() == []


@pytest.mark.slow
def test_the_completeness_check_names_an_input_the_cli_drops(monkeypatch: pytest.MonkeyPatch) -> None:
    # A naive CLI that forgets an input's flag: the check must say which input cannot be sent.
    from hidream import cli

    dropped = OPERATIONS[0].inputs[-1]
    original = cli.add_input_options

    def forgetful(parser: Any, operation: Operation) -> list[Input]:
        kept = tuple(i for i in operation.inputs if i.wire != dropped.wire)
        return original(parser, Operation(**{**operation.__dict__, "inputs": kept}))

    monkeypatch.setattr(cli, "add_input_options", forgetful)
    gaps = public.complete()
    assert [gap["where"] for gap in gaps] == [
        f"{OPERATIONS[0].operation_id}: {dropped.location} {dropped.wire}"
    ]
    assert dropped.flag in gaps[0]["text"]
