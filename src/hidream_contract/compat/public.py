"""The judges of what users import: the public API of `hidream` and of `hidream-upscale`, and completeness.

- `public_judge`: `hidream` is imported twice in subprocesses, once over the client generated from each
  spec (`sdk.generate_python`, which writes `surface.py` too), and what a user touches is described: the
  names `hidream` exports, the clients' constructors, the public methods of `client.upscale` with every
  keyword (a `**inputs: Unpack[...]` expanded to its keys), the allowed values of each input, and the
  CLI's commands, flags, choices and exit codes. A name, method, keyword, command or flag that goes, an
  allowed value that goes, a keyword or flag that becomes required, or an exit code that changes is
  breaking. The old side runs the `hidream` of BASE when BASE is a git ref and that `hidream` imports over
  the old client; else today's (the note says which).
- `completeness_judge`: every input of every image operation of the new spec is sent through the client's
  typed method and through the CLI to a local recorder (127.0.0.1, stopped at the end), and must arrive
  under its wire name; every other operation must have a hand-written method and command
  (`HAND_WRITTEN`). What cannot be sent is a gap: the gate exits 1 until the client reaches it.

    python -m hidream_contract.compat.public describe|complete   (run by the judges, PYTHONPATH set)
"""

from __future__ import annotations

import contextlib
import http.server
import inspect
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hidream_contract.compat.judges import Finding, JudgeError, JudgeReport
from hidream_contract.compat.loading import Spec
from hidream_contract.compat.sdk import generate_python

PUBLIC_TITLE = (
    "Public API of `hidream` and `hidream-upscale` (imported over the client generated from each spec)"
)
COMPLETE_TITLE = "Completeness: every input of the spec sent through the client and the CLI"
TOOL_TIMEOUT_S = 300
TOKEN = "compat-describe-token"  # noqa: S105 - a stand-in sent to the local recorder only
IMAGE = "https://images.example.test/in.png"
# Operations that are not image operations and that the client reaches by hand: operationId -> (the
# method of `client.upscale`, the CLI command). A new operation of another shape is a gap until added.
HAND_WRITTEN = {"getUpscaleTaskResult": ("result", "result")}


# --- in the subprocess: describe and complete --------------------------------------------------------


def _parameters(function: Any) -> dict[str, dict[str, Any]]:
    """A callable's keywords as users see them: name -> required, annotation; `**x: Unpack[TD]` expanded."""
    found: dict[str, dict[str, Any]] = {}
    signature = inspect.signature(function)
    hints: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        hints = typing.get_type_hints(function, include_extras=True)
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            hint = hints.get(name) or _evaluated(function, parameter.annotation)
            if typing.get_origin(hint) is typing.Unpack:
                typed = typing.get_args(hint)[0]
                required: frozenset[str] = getattr(typed, "__required_keys__", frozenset())
                for key, value in typing.get_type_hints(typed).items():
                    found[key] = {"required": key in required, "type": _shown(value)}
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        found[name] = {
            "required": parameter.default is inspect.Parameter.empty,
            "type": _shown(hints.get(name, parameter.annotation)),
        }
    return found


def _evaluated(function: Any, annotation: Any) -> Any:
    """One string annotation evaluated in its function's module (when the others cannot all be: names
    imported only for type checkers)."""
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    try:
        return eval(annotation, {**vars(typing), **vars(module)} if module else vars(typing))  # noqa: S307
    except Exception:  # unresolvable: shown as written
        return annotation


def _shown(annotation: Any) -> str:
    text = (
        annotation
        if isinstance(annotation, str)
        else getattr(annotation, "__name__", None) or str(annotation)
    )
    return str(text).replace("typing.", "")


def _methods(resource: Any) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        name: _parameters(getattr(resource, name))
        for name in dir(resource)
        if not name.startswith("_") and callable(getattr(resource, name))
    }


def _cli() -> dict[str, Any]:
    import argparse

    from hidream import cli

    parser = cli._parser()
    commands: dict[str, Any] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                flags: dict[str, Any] = {}
                for option in sub._actions:
                    for flag in option.option_strings:
                        flags[flag] = {
                            "required": bool(option.required),
                            "choices": [str(c) for c in option.choices or ()],
                            "value": option.nargs != 0,
                            "help": str(option.help or ""),  # shown, not compared
                        }
                positionals = [o.metavar or o.dest for o in sub._actions if not o.option_strings]
                commands[command] = {"flags": flags, "positionals": positionals}
    exits = {error.__name__: code for error, code in cli.EXIT_CODES}
    return {"commands": commands, "exit_codes": exits}


def _values() -> dict[str, list[str]]:
    """The allowed values of each keyword of each typed method (from the generated rows, if any)."""
    try:
        from hidream_api_client.surface import OPERATIONS
    except ImportError:
        return {}
    return {
        f"{op.method_name}({item.keyword})": [str(v) for v in item.values]
        for op in OPERATIONS
        for item in op.inputs
    }


def describe() -> dict[str, Any]:
    import hidream

    client = hidream.HiDream(token=TOKEN, base_url="http://127.0.0.1:9")
    aclient = hidream.AsyncHiDream(token=TOKEN, base_url="http://127.0.0.1:9")
    try:
        return {
            "names": sorted(getattr(hidream, "__all__", [])),
            "constructors": {
                "HiDream": _parameters(hidream.HiDream),
                "AsyncHiDream": _parameters(hidream.AsyncHiDream),
            },
            "methods": {
                "HiDream.upscale": _methods(client.upscale),
                "AsyncHiDream.upscale": _methods(aclient.upscale),
            },
            "values": _values(),
            "cli": _cli(),
        }
    finally:
        client.close()


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        with contextlib.suppress(ValueError):
            self.seen.append(
                {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": json.loads(raw)}
            )
        answer = json.dumps(
            {
                "code": 0,
                "message": "Success",
                "request_id": "r",
                "result": {"task_id": "t", "sub_task_ids": ["s"]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _recorder() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api-pub/gw/v3", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sample(item: Any) -> Any:
    """A valid value of an input: its last allowed value, else one of its kind."""
    if item.values:
        return item.values[-1]
    if item.kind == "integer":
        return 7
    if item.kind == "number":
        return 1.5
    if item.kind == "boolean":
        return True
    return "https://hooks.example.test/cb" if item.wire.endswith("_url") or item.format else "sample-value"


def _arrived(item: Any, value: Any, seen: list[dict[str, Any]]) -> bool:
    if not seen:
        return False
    last = seen[-1]
    if item.location == "body":
        return bool(last["body"].get(item.wire) == value)
    shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return bool(last["headers"].get(item.wire.lower()) == shown)


def complete() -> list[dict[str, str]]:
    """What the client or the CLI cannot send, as {"where", "text"} (empty: everything arrives)."""
    from hidream_api_client.surface import OTHER_OPERATIONS

    import hidream

    gaps: list[dict[str, str]] = []

    def gap(where: str, text: str) -> None:
        gaps.append({"where": where, "text": text})

    previous = os.environ.get("HIDREAM_API_TOKEN")
    os.environ["HIDREAM_API_TOKEN"] = TOKEN  # the CLI reads it only there; put back below
    try:
        _send_everything(gap)
    finally:
        if previous is None:
            os.environ.pop("HIDREAM_API_TOKEN", None)
        else:
            os.environ["HIDREAM_API_TOKEN"] = previous
    _hand_written(gap, hidream, OTHER_OPERATIONS)
    return gaps


def _send_everything(gap: Any) -> None:
    """Every input of every image operation through the client's typed method and the CLI."""
    from hidream_api_client.surface import OPERATIONS

    import hidream
    from hidream import cli

    with _recorder() as (base_url, seen):
        client = hidream.HiDream(token=TOKEN, base_url=base_url, retry=hidream.RetryPolicy.disabled())
        try:
            for op in OPERATIONS:
                method = getattr(client.upscale, op.method_name, None)
                if method is None:
                    gap(
                        op.operation_id,
                        f"no typed method `HiDream().upscale.{op.method_name}` (add it in _upscale.py)",
                    )
                typed = _parameters(method) if method is not None else {}
                for item in op.inputs:
                    where = f"{op.operation_id}: {item.location} {item.wire}"
                    if not item.kind:
                        gap(where, "its schema is not a plain value: the client cannot send it")
                        continue
                    value = sample(item)
                    if method is not None:
                        if item.keyword not in typed:
                            gap(where, f"`{op.method_name}` has no keyword `{item.keyword}` that mypy sees")
                        seen.clear()
                        try:
                            method(IMAGE, **{item.keyword: value})
                        except Exception as error:
                            gap(where, f"the client raised {type(error).__name__}: {error}")
                        else:
                            if not _arrived(item, value, seen):
                                gap(where, f"`{item.keyword}={value!r}` did not arrive as {item.wire}")
                    seen.clear()
                    out, err = io.StringIO(), io.StringIO()
                    flag_value = [] if item.kind == "boolean" else [str(value)]
                    argv = [
                        op.command,
                        IMAGE,
                        item.flag,
                        *flag_value,
                        "--base-url",
                        base_url,
                        "--max-attempts",
                        "1",
                    ]
                    try:
                        code = cli.main(argv, stdout=out, stderr=err)
                    except SystemExit as exit_:
                        code = exit_.code if isinstance(exit_.code, int) else 2
                    if code != 0 or not _arrived(item, value, seen):
                        tail = " ".join(err.getvalue().split())[-200:]
                        gap(
                            where,
                            f"`hidream-upscale {op.command} IMAGE {item.flag}` did not send it "
                            f"(exit {code}: {tail})",
                        )
        finally:
            client.close()


def _hand_written(gap: Any, hidream: Any, others: dict[str, str]) -> None:
    """Every operation of another shape has its hand-written method and command (`HAND_WRITTEN`)."""
    commands = _cli()["commands"]
    for operation_id, why in others.items():
        method_name, command = HAND_WRITTEN.get(operation_id, ("", ""))
        if not method_name:
            gap(
                operation_id,
                f"no friendly method or command: not an image operation ({why}) and not hand-written",
            )
            continue
        client = hidream.HiDream(token=TOKEN, base_url="http://127.0.0.1:9")
        try:
            if not hasattr(client.upscale, method_name):
                gap(operation_id, f"its hand-written method `upscale.{method_name}` is missing")
        finally:
            client.close()
        if command not in commands:
            gap(operation_id, f"its hand-written command `{command}` is missing")


# --- in the gate: run them and compare ---------------------------------------------------------------


def _subprocess(mode: str, paths: list[Path]) -> Any:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hidream_contract.compat.public", mode],
            capture_output=True,
            text=True,
            check=False,
            timeout=TOOL_TIMEOUT_S,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise JudgeError(f"the {mode} subprocess did not run: {error}") from None
    if done.returncode != 0:
        raise JudgeError(f"{mode} failed: {done.stderr.strip()[-600:]}")
    return json.loads(done.stdout)


def base_sources(repo: Path, base: str | None, work: Path) -> Path | None:
    """`src/` of `hidream` as it is at git ref `base` (extracted into `work`), or None."""
    if not base or Path(base).is_file():
        return None
    done = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", base, "src/hidream"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    target = work / "base-src"
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(target, filter="data")
    return target / "src"


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    """What a user of `old` loses in `new`: each loss one error."""
    found: list[Finding] = []

    def lost(rule: str, where: str, text: str, level: str = "error") -> None:
        found.append(Finding(level, rule, text, where))

    for name in sorted(set(old["names"]) - set(new["names"])):
        lost("name-removed", "hidream", f"`hidream.{name}` is no longer exported")
    for owner, keywords in old["constructors"].items():
        _keywords(lost, owner, keywords, new["constructors"].get(owner, {}))
    for owner, members in old["methods"].items():
        new_members = new["methods"].get(owner, {})
        for method, keywords in members.items():
            if method not in new_members:
                lost("method-removed", owner, f"`{owner}.{method}` is gone")
                continue
            _keywords(lost, f"{owner}.{method}", keywords, new_members[method])
    for key, values in old["values"].items():
        if key in new["values"] and new["values"][key]:
            for value in values:
                if value not in new["values"][key]:
                    lost("value-removed", key, f"the value {value} is no longer allowed")
    old_cli, new_cli = old["cli"], new["cli"]
    for command, spec in old_cli["commands"].items():
        now = new_cli["commands"].get(command)
        if now is None:
            lost("command-removed", f"hidream-upscale {command}", "the command is gone")
            continue
        if spec["positionals"] != now["positionals"]:
            lost(
                "arguments-changed",
                f"hidream-upscale {command}",
                f"{spec['positionals']} -> {now['positionals']}",
            )
        for flag, was in spec["flags"].items():
            where = f"hidream-upscale {command} {flag}"
            if flag not in now["flags"]:
                lost("flag-removed", where, "the flag is gone")
                continue
            is_ = now["flags"][flag]
            if is_["required"] and not was["required"]:
                lost("flag-required", where, "the flag became required")
            if was["value"] != is_["value"]:
                lost(
                    "flag-changed",
                    where,
                    "the flag now " + ("takes" if is_["value"] else "takes no") + " value",
                )
            if is_["choices"]:
                for choice in was["choices"] or []:
                    if choice not in is_["choices"]:
                        lost("choice-removed", where, f"the value {choice} is no longer accepted")
    for error, code in old_cli["exit_codes"].items():
        if new_cli["exit_codes"].get(error) != code:
            lost(
                "exit-code-changed",
                "hidream-upscale",
                f"{error}: exit {code} -> {new_cli['exit_codes'].get(error)}",
            )
    return found


def _keywords(lost: Any, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    for name, was in old.items():
        if name not in new:
            lost("keyword-removed", where, f"the keyword `{name}` is gone")
            continue
        if new[name]["required"] and not was["required"]:
            lost("keyword-required", where, f"the keyword `{name}` became required")
        if new[name]["type"] != was["type"]:
            # A warning: a wider type (`str` -> `str | None`) breaks no caller, and the text of two
            # annotations says too little to tell wider from narrower.
            lost("keyword-type-changed", where, f"`{name}`: {was['type']} -> {new[name]['type']}", "warning")
    for name, is_ in new.items():
        if name not in old and is_["required"]:
            lost("keyword-added-required", where, f"a new required keyword `{name}`")


def public_judge(
    old: Spec, new: Spec, *, repo: Path, base: str | None, work: Path, old_config: str | None = None
) -> JudgeReport:
    report = JudgeReport("public-api", PUBLIC_TITLE)
    old_client, new_client = generate_python(old, old_config), generate_python(new)
    new_surface = _subprocess("describe", [new_client])
    old_src = base_sources(repo, base, work)
    which = "today's `hidream`"
    old_surface = None
    if old_src is not None:
        with contextlib.suppress(JudgeError):
            old_surface = _subprocess("describe", [old_client, old_src])
            which = f"the `hidream` of {base}"
    if old_surface is None:
        old_surface = _subprocess("describe", [old_client])
    report.findings.extend(compare(old_surface, new_surface))
    commands = len(new_surface["cli"]["commands"])
    report.note = (
        f"old side: {which} over the old client; {commands} CLI command(s) and the clients' methods compared"
    )
    return report


def completeness_judge(new: Spec) -> JudgeReport:
    report = JudgeReport("completeness", COMPLETE_TITLE)
    gaps = _subprocess("complete", [generate_python(new)])
    report.findings.extend(Finding("gap", "not-reachable", g["text"], g["where"]) for g in gaps)
    report.note = (
        "every input reaches the wire through the client and the CLI"
        if not gaps
        else f"{len(gaps)} input(s) or operation(s) the client or the CLI cannot send"
    )
    return report


if __name__ == "__main__":
    print(json.dumps(describe() if sys.argv[1:] == ["describe"] else complete()))
