"""Every hostile string x every place the CLI and batch print (the `STRINGS` and `SHOWN_AT` tables of
tests/client/hostile_use.py).

Whatever the cell, what reaches stdout and stderr is inert: none of the string's control characters
as they are (outside a terminal, no control character at all but the newline), no forged line, never
the token, every line bounded; `--json` still parses; and a command printed for pasting splits, as a
shell splits it, into exactly the words of the command (`shlex.join`), so pasting it runs nothing else.
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from hidream._cli_output import NOT_AS_IS
from hidream._upscale import DEFAULT_RATIO, DEFAULT_VERSION
from hidream.cli import main
from tests.client.hostile_use import SHOWN_AT, STRINGS, Hostile, ShownAt
from tests.client.matrix import IMAGE_PATH, TASK_ID, good_image
from tests.doubles.http import ACCEPTED, PNG, TOKEN, HostileServer, Received, answer

MAX_LINE = 6000
MAX_PRINTED = 64 * 1024
POLL = ["--poll-interval", "0.05"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "120")


def cases() -> Any:
    for string in STRINGS:
        for place in SHOWN_AT:
            yield pytest.param(string, place, id=f"{string.name}-{place.name}")


def _send_json(server: HostileServer, connection: Any, body: object) -> None:
    server.send(connection, answer(200, json.dumps(body).encode(), {"Content-Type": "application/json"}))


def serving(value: str, mode: str) -> HostileServer:
    """The API and the image host: task ids, messages and image URLs carry `value`."""

    def dispatch(server: HostileServer, connection: Any, request: Received) -> None:
        path = request.line.split()[1]
        if path.startswith(IMAGE_PATH):
            good_image(server, connection, request)
        elif request.line.startswith("POST"):
            if mode == "rejected":
                _send_json(server, connection, {"code": 1001, "message": value, "request_id": "rid-1"})
            else:
                body: dict[str, Any] = json.loads(json.dumps(ACCEPTED))
                body["result"]["task_id"] = value
                _send_json(server, connection, body)
        else:
            status = {"success": 1, "pending": 2, "failed": 3, "rejected": 1}[mode]
            sub: dict[str, Any] = {"sub_task_id": "s1", "task_status": status}
            if status == 1:
                sub["image"] = f"{server.url}{IMAGE_PATH}?n={value}"
            _send_json(
                server,
                connection,
                {
                    "code": 0,
                    "message": "Success",
                    "request_id": "rid-2",
                    "result": {"sub_task_results": [sub]},
                },
            )

    return HostileServer(dispatch)


def batch_inputs(string: Hostile, folder: Path) -> list[str]:
    """A file named with the string (when a file may be) and a URL whose name holds it."""
    inputs = []
    if string.in_file_name:
        folder.mkdir(exist_ok=True)
        image = folder / f"{string.value}.png"
        image.write_bytes(PNG)
        inputs.append(str(image))
    inputs.append("https://img.example.test/" + quote(string.value[:200], safe="") + ".png")
    return inputs


def command(string: Hostile, place: ShownAt, base: str, tmp_path: Path) -> list[str]:
    image = tmp_path / "in.png"
    image.write_bytes(PNG)
    out = str(tmp_path / "out")
    at = ["--base-url", base]
    name = place.name
    if name in ("submit-id", "error"):
        return ["submit", str(image), *at]
    if name == "submit-json":
        return ["submit", str(image), "--json", *at]
    if name == "result-urls":
        return ["result", TASK_ID, *at]
    if name == "progress":
        return ["submit", str(image), "--wait", *POLL, *at]
    if name == "resume":
        return ["submit", str(image), "--wait", "--wait-timeout", "0.3", *POLL, *at]
    if name == "resume-output":
        target = tmp_path / f"{string.value[:200]}.png"
        return ["submit", str(image), "-o", str(target), "--wait-timeout", "0.3", *POLL, *at]
    if name == "result-arg":
        return ["result", string.value, "--wait", "--wait-timeout", "0.3", *POLL, *at]
    if name == "verbose":
        return ["submit", str(image), "--wait", "-v", *POLL, *at]
    inputs = batch_inputs(string, tmp_path / "in")
    if name == "batch-dry-run":
        _manifest_naming(string, Path(inputs[0]), tmp_path / "out")
        return ["batch", *inputs, "-o", out, "--dry-run"]
    if name == "batch-resume":
        return ["batch", *inputs, "-o", out, "--max-tasks", "0", *at]
    return ["batch", *inputs, "-o", out, *POLL, *at]


def _manifest_naming(string: Hostile, first: Path, outdir: Path) -> None:
    """A manifest whose record for the first input carries the string as task id, detail and source."""
    if first.exists():
        key = f"sha256:{hashlib.sha256(first.read_bytes()).hexdigest()}"
    else:
        key = f"sha256:{hashlib.sha256(b'url:' + str(first).encode()).hexdigest()}"
    outdir.mkdir()
    record = {
        "v": 1,
        "key": f"{key}:x{DEFAULT_RATIO}:{DEFAULT_VERSION}",
        "event": "failed",
        "at": "2026-12-07T00:00:00.000+00:00",
        "task_id": string.value[:4000],
        "source": string.value,
        "detail": string.value,
    }
    (outdir / ".hidream-batch.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("string", "place"), list(cases()))
def test_every_hostile_string_is_inert_wherever_it_is_printed(
    string: Hostile, place: ShownAt, tmp_path: Path
) -> None:
    out = Terminal() if place.terminal else io.StringIO()
    err = Terminal() if place.terminal else io.StringIO()
    with serving(string.value, place.server) as server:
        argv = command(string, place, server.url + "/gw", tmp_path)
        code = main(argv, stdout=out, stderr=err)
    printed = out.getvalue() + err.getvalue()
    assert "Traceback" not in printed
    assert code != 1, printed[-2000:]
    for raw in (*(string.never_raw if place.bounded else ()), TOKEN):
        assert raw not in printed, f"{raw[:40]!r} reached the output as it is"
    text = printed.replace("\r\x1b[K", "\n") if place.name == "progress" else printed
    if not place.terminal or place.name == "progress":
        bad = sorted({char for char in text if not (char.isprintable() or char == "\n")})
        assert not bad, f"control characters reached the terminal: {bad}"
    assert not any(line.startswith("FAKE") for line in text.splitlines()), "a forged line"
    if place.bounded:
        assert len(printed) < MAX_PRINTED
        assert max(map(len, printed.splitlines() or [""])) <= MAX_LINE
    if place.name == "submit-json":
        envelope = json.loads(out.getvalue())  # still JSON
        if string.name != "token":
            assert envelope["result"]["task_id"] == string.value
    if place.pasteable:
        _check_pasteable(string, place, argv, err.getvalue())


def _check_pasteable(string: Hostile, place: ShownAt, argv: list[str], err: str) -> None:
    """The printed command, split as a shell splits it, is the command's own words."""
    if place.name == "batch-resume":
        [line] = [
            line.strip() for line in err.splitlines() if line.strip().startswith("hidream-upscale batch")
        ]
        expected = ["hidream-upscale", *argv]
    else:
        [line] = [
            line.split("pick it up again with: ", 1)[1] for line in err.splitlines() if "pick it up" in line
        ]
        expected = ["hidream-upscale", "result", string.value, "--wait"]
        if place.name == "resume-output":
            expected += ["-o", argv[argv.index("-o") + 1]]
    escaped = line.endswith(NOT_AS_IS)
    words = shlex.split(line.removesuffix(f"  {NOT_AS_IS}"))
    assert len(words) == len(expected), words  # escaped, cut or redacted, but never split or joined
    if string.name == "shell" or (string.name == "huge" and place.name == "batch-resume"):
        assert words == expected, "a word that needed no change must paste as it is"
    elif string.name != "token":  # the token is redacted (by the client already, when a server sends it)
        assert escaped, "a word shown changed must say so"
