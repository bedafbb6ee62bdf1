"""The request surface of the friendly client and the CLI, generated from the spec: `make generate` writes
`hidream_api_client/surface.py` beside what openapi-python-client writes, and `make check-generated` holds it.

For every operation of the one shape the friendly client knows (an *image operation*: a POST whose JSON
body is a component schema with a string field `image`, and whose HTTP 200 answer is an envelope whose
`result` names a `task_id`), the generated module holds

- a `TypedDict` of its inputs besides the image: one key per body field and per header parameter, typed
  from its schema, so `submit(**inputs: Unpack[...])` shows mypy and editors every keyword of the spec;
- an `Operation` row: the generated request builder and models, and per input its wire name, place,
  kind, allowed values, default, whether it is required, its keyword, its CLI flag and its help (the
  spec's description).

`hidream` (hand-written and generic: image paths and bytes, checks, waiting, retries, redaction) and
`hidream-upscale` read these rows; nothing in them names a field of the spec. Names: the generator's own
(`openapi_python_client.strings`), except where config/surface.yaml keeps a name users already have.
Operations of another shape are listed in `OTHER_OPERATIONS`, so the compat gate can say they have no
friendly method.

    python -m hidream_contract.surface SPEC PACKAGE_DIR   (scripts/generate runs it)
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_python_client.strings import PythonIdentifier, kebab_case, pascal_case, snake_case

from hidream_contract.project import CONFIG
from hidream_contract.spec import Operation, flat_schema, operations_in

SURFACE_CONFIG = CONFIG / "surface.yaml"
MODULE = "surface.py"
IMAGE_FIELD = "image"
KINDS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class SurfaceError(ValueError):
    """The spec has something the generator cannot describe (the message says what)."""


@dataclass(frozen=True)
class InputRow:
    name: str  # the generated Python name (the model's attribute, the request builder's argument)
    keyword: str
    flag: str
    location: str  # "body" or "header"
    wire: str
    kind: str  # a JSON type of KINDS, or "" when the client cannot send it (array, object...)
    values: tuple[Any, ...]
    default: Any
    required: bool
    format: str
    help: str


@dataclass(frozen=True)
class OperationRow:
    operation_id: str
    method: str
    path: str
    api_module: str  # dotted, below hidream_api_client
    body_class: str
    envelope_class: str
    method_name: str
    command: str
    summary: str
    inputs: tuple[InputRow, ...]

    @property
    def inputs_class(self) -> str:
        return pascal_case(self.operation_id) + "Inputs"

    @property
    def constant(self) -> str:
        return snake_case(self.operation_id).upper()


def python_name(name: str) -> str:
    """The name openapi-python-client gives a field or parameter (its own `PythonIdentifier`: snake
    case, a reserved word suffixed, the config's `field_prefix` before what is no identifier)."""
    prefix = str(_generator_config().get("field_prefix", "field_"))
    return str(PythonIdentifier(name, prefix=prefix))


def english(description: object) -> str:
    """The English half of a bilingual description (the text before ` / `), on one line."""
    text = " ".join(str(description or "").split())
    english_part = re.split(r"\s/\s", text, maxsplit=1)[0].strip()
    return english_part.rstrip()


def _schema(document: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """A schema resolved, a one-member `allOf` merged into it (`spec.flat_schema`)."""
    flat = flat_schema(document, node) if node is not None else {}
    return dict(flat) if isinstance(flat, Mapping) else {}


def _ref_name(node: Any) -> str:
    ref = node.get("$ref", "") if isinstance(node, Mapping) else ""
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else ""


def _json_body(definition: Mapping[str, Any]) -> Any:
    content = (definition.get("requestBody") or {}).get("content") or {}
    return (content.get("application/json") or {}).get("schema")


def _ok_schema(definition: Mapping[str, Any]) -> Any:
    ok = (definition.get("responses") or {}).get("200") or {}
    return ((ok.get("content") or {}).get("application/json") or {}).get("schema")


def image_operation_problem(document: Mapping[str, Any], op: Operation) -> str:
    """Why `op` is not an image operation, or "" when it is."""
    if op.method != "POST":
        return f"a {op.method}, not a POST"
    body_ref = _json_body(op.definition)
    body = _schema(document, body_ref) if body_ref else {}
    if not _ref_name(body_ref) or (body.get("properties") or {}).get(IMAGE_FIELD) is None:
        return f"its JSON body is not a component schema with an `{IMAGE_FIELD}` field"
    envelope_ref = _ok_schema(op.definition)
    envelope = _schema(document, envelope_ref) if envelope_ref else {}
    result = (envelope.get("properties") or {}).get("result") or {}
    names = [
        n
        for n in (result.get("anyOf") or [result])
        if "task_id" in (_schema(document, n).get("properties") or {})
    ]
    if not _ref_name(envelope_ref) or not names:
        return "its HTTP 200 answer is not an envelope whose `result` names a `task_id`"
    return ""


def _row(
    document: Mapping[str, Any],
    name: str,
    location: str,
    wire: str,
    schema: Mapping[str, Any],
    required: bool,
    description: object,
    names: Mapping[str, Any],
) -> InputRow:
    chosen = names.get(name) or {}
    kind = str(schema.get("type", ""))
    values = tuple(schema.get("enum") or ())
    return InputRow(
        name=name,
        keyword=str(chosen.get("keyword", name)),
        flag=str(chosen.get("flag", "--" + name.replace("_", "-"))),
        location=location,
        wire=wire,
        kind=kind if kind in KINDS and not isinstance(schema.get("type"), list) else "",
        values=values,
        default=schema.get("default"),
        required=required,
        format=str(schema.get("format", "")),
        help=english(description or schema.get("description")),
    )


def _inputs(document: Mapping[str, Any], op: Operation, names: Mapping[str, Any]) -> tuple[InputRow, ...]:
    body = _schema(document, _json_body(op.definition))
    required = set(body.get("required") or ())
    rows = [
        _row(
            document,
            python_name(field),
            "body",
            field,
            _schema(document, raw),
            field in required,
            None,
            names,
        )
        for field, raw in (body.get("properties") or {}).items()
        if field != IMAGE_FIELD
    ]
    for parameter in op.parameters.values():
        if parameter.get("in") not in ("header", "query"):
            raise SurfaceError(f"{op.label}: a {parameter.get('in')} parameter; the surface sends headers")
        rows.append(
            _row(
                document,
                python_name(parameter["name"]),
                str(parameter["in"]),
                str(parameter["name"]),
                _schema(document, parameter.get("schema")),
                bool(parameter.get("required")),
                parameter.get("description"),
                names,
            )
        )
    return tuple(rows)


def rows(document: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[list[OperationRow], dict[str, str]]:
    """The image operations of `document` as rows, and every other operation with why it is not one."""
    overrides = {
        name: item.get("class_name", name)
        for name, item in (_generator_config().get("class_overrides") or {}).items()
    }
    found, others = [], {}
    for op in operations_in(document):
        problem = image_operation_problem(document, op)
        if problem:
            others[op.operation_id or op.label] = problem
            continue
        chosen = (config.get("operations") or {}).get(op.operation_id) or {}
        tags = op.definition.get("tags") or ["default"]
        body_class = _ref_name(_json_body(op.definition))
        envelope_class = _ref_name(_ok_schema(op.definition))
        found.append(
            OperationRow(
                operation_id=op.operation_id,
                method=op.method,
                path=op.path,
                api_module=f"api.{snake_case(tags[0])}.{snake_case(op.operation_id)}",
                body_class=overrides.get(body_class, body_class),
                envelope_class=overrides.get(envelope_class, envelope_class),
                method_name=str(chosen.get("method", snake_case(op.operation_id))),
                command=str(chosen.get("command", kebab_case(op.operation_id))),
                summary=english(op.definition.get("summary")),
                inputs=_inputs(document, op, config.get("inputs") or {}),
            )
        )
    return found, others


def _generator_config() -> dict[str, Any]:
    loaded = yaml.safe_load((CONFIG / "openapi-python-client.yaml").read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def load_config(path: Path = SURFACE_CONFIG) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return loaded if isinstance(loaded, dict) else {}


PREAMBLE = '''\
"""The request surface of the friendly client (`hidream`) and the CLI (`hidream-upscale`), from the spec.

Generated by hidream_contract.surface (`make generate`) from the spec and config/surface.yaml; never edit
it by hand (`make check-generated` fails). One `...Inputs` TypedDict and one `Operation` row per image
operation of the spec; the hand-written client reads the rows and names no field itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, Required, TypedDict

from . import models
{imports}


@dataclass(frozen=True)
class Input:
    """One input of an operation besides the image: a body field or a header parameter."""

    name: str
    """The generated name: the body model's attribute or the request builder's argument."""
    keyword: str
    """The friendly client's keyword argument."""
    flag: str
    """The CLI's option."""
    location: str
    """"body" or "header"."""
    wire: str
    """The JSON key or the header name, as the spec spells it."""
    kind: str
    """The JSON type (string, integer, number, boolean); "" when the client cannot send it."""
    values: tuple[Any, ...]
    """The allowed values (the spec's enum), or () for any value of the kind."""
    default: Any
    """The spec's default, or None."""
    required: bool
    format: str
    help: str
    """The spec's description (its English half)."""


@dataclass(frozen=True)
class Operation:
    """An image operation: its request builder and models, and its inputs in the spec's order."""

    operation_id: str
    method: str
    path: str
    module: ModuleType
    body: type[Any]
    envelope: type[Any]
    method_name: str
    """The friendly client's method (`HiDream().upscale.<method_name>`)."""
    command: str
    """The CLI's subcommand."""
    summary: str
    inputs: tuple[Input, ...]
    typed: type[Any]
    """The `...Inputs` TypedDict: what `Unpack` shows mypy of `inputs`."""
'''


def _type(row: InputRow) -> str:
    """Required without a fallback (no default, no allowed values): a `Required` key; required with
    one: the plain type; optional: also None, which leaves it out."""
    base = KINDS.get(row.kind, "Any")
    if row.required:
        return f"Required[{base}]" if row.default is None and not row.values else base
    return f"{base} | None"


def render(found: list[OperationRow], others: Mapping[str, str]) -> str:
    imports = "\n".join("from .{} import {}".format(*op.api_module.rsplit(".", 1)) for op in found)
    parts = [PREAMBLE.format(imports=imports)]
    for op in found:
        lines = [
            "",
            "",
            f"class {op.inputs_class}(TypedDict, total=False):",
            f'    """The inputs of `{op.operation_id}` ({op.method} {op.path}) besides the image."""',
            "",
        ]
        for row in op.inputs:
            if not row.kind:
                continue
            lines.append(f"    {row.keyword}: {_type(row)}")
            lines.append(f"    {_doc(row.help or row.wire)}")
        parts.append("\n".join(lines))
    for op in found:
        inputs = "".join(
            "\n        Input("
            + ", ".join(
                f"{key}={value!r}"
                for key, value in (
                    ("name", row.name),
                    ("keyword", row.keyword),
                    ("flag", row.flag),
                    ("location", row.location),
                    ("wire", row.wire),
                    ("kind", row.kind),
                    ("values", row.values),
                    ("default", row.default),
                    ("required", row.required),
                    ("format", row.format),
                    ("help", row.help),
                )
            )
            + "),"
            for row in op.inputs
        )
        parts.append(
            f"\n\n{op.constant}: Final = Operation(\n"
            f"    operation_id={op.operation_id!r},\n"
            f"    method={op.method!r},\n"
            f"    path={op.path!r},\n"
            f"    module={op.api_module.rsplit('.', 1)[1]},\n"
            f"    body=models.{op.body_class},\n"
            f"    envelope=models.{op.envelope_class},\n"
            f"    method_name={op.method_name!r},\n"
            f"    command={op.command!r},\n"
            f"    summary={op.summary!r},\n"
            f"    inputs=({inputs}\n    ),\n"
            f"    typed={op.inputs_class},\n)"
        )
    listed = ", ".join(op.constant for op in found)
    parts.append(
        "\n\nOPERATIONS: Final[tuple[Operation, ...]] = ("
        + (listed + ("," if len(found) == 1 else ""))
        + ")\n"
        + '"""Every image operation of the spec, in its order."""\n'
    )
    parts.append(
        "\nOTHER_OPERATIONS: Final[dict[str, str]] = "
        + repr(dict(others))
        + '\n"""The spec\'s other operations, and why each is not an image operation."""\n'
    )
    return "".join(parts)


def _doc(text: str) -> str:
    wrapped = textwrap.shorten(text, width=400, placeholder="…").replace("\\", "\\\\").replace('"""', "'''")
    return f'"""{wrapped}"""'


def stale_names(found: list[OperationRow], config: Mapping[str, Any]) -> list[str]:
    """The entries of config/surface.yaml that name nothing the spec has (kept for users who had them)."""
    inputs = {row.name for op in found for row in op.inputs}
    operations = {op.operation_id for op in found}
    return [f"input {name}" for name in config.get("inputs") or {} if name not in inputs] + [
        f"operation {name}" for name in config.get("operations") or {} if name not in operations
    ]


def generate(document: Mapping[str, Any], package: Path, config: Mapping[str, Any] | None = None) -> Path:
    """Write `package`/surface.py for `document`; returns its path."""
    found, others = rows(document, load_config() if config is None else config)
    target = package / MODULE
    target.write_text(render(found, others), encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m hidream_contract.surface SPEC PACKAGE_DIR", file=sys.stderr)
        return 2
    document = yaml.safe_load(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        target = generate(document, Path(argv[1]))
    except SurfaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"==> surface: {target}", file=sys.stderr)
    # An entry that names nothing: users lose that name (the compat gate judges it); the config keeps it.
    for stale in stale_names(rows(document, load_config())[0], load_config()):
        print(f"note: config/surface.yaml names {stale}, which the spec no longer has", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
