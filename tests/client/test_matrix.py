"""Every hostile server behaviour x every operation x sync, async and the CLI, from one table.

The table is `tests/client/matrix.py` (also rendered into docs/client.md). Whatever the cell, the
same promises are checked: the outcome the table names, no form of the token anywhere a value can
surface (messages, args, reprs, envelopes, logs, CLI output), no partial file, no token sent to the
image host, the deadline held, and, in the CLI, the documented exit code, no traceback, and the
command that resumes a task that exists.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hidream_api_client.surface import OPERATIONS as IMAGE_OPERATIONS
from hidream_api_client.surface import Operation as ImageOperation

from hidream import AsyncHiDream, HiDream, HiDreamError, WaitTimeoutError, parse_callback
from hidream._cli_output import EXIT_CODES
from hidream.cli import main
from tests.client.matrix import (
    DEADLINE,
    DOC,
    GOOD_PATH,
    IMAGE_PATH,
    MATRIX,
    OPERATIONS,
    TASK_ID,
    Hostile,
    NotApplicable,
    Outcome,
    blocks,
    good_api,
    good_image,
    shown,
)
from tests.doubles.http import PNG, TOKEN, HostileServer, Received, record_sleeps

# Every form in which the token must never surface (checked case-insensitively).
LEAKS = (
    TOKEN,
    "".join(f"%{byte:02x}" for byte in TOKEN.encode()),
    "".join(f"\\u{ord(char):04x}" for char in TOKEN),
    __import__("base64").b64encode(TOKEN.encode()).decode(),
)
BOUND = DEADLINE * 8 + 3  # generous on a busy machine; an unbounded call runs for minutes


def cases() -> Iterator[Any]:
    for row in MATRIX:
        for op in OPERATIONS:
            outcome = row.outcomes[op]
            if isinstance(outcome, NotApplicable):
                continue
            # The submit's cells hold for every image operation of the spec (the generated surface):
            # an operation of the same shape the spec gains is a column here by regeneration.
            named = [f"submit:{i.operation_id}" for i in IMAGE_OPERATIONS] if op == "submit" else [op]
            for mode in ("sync", "async", "cli"):
                if mode == "cli" and op == "callback":
                    continue  # the CLI has no callback command
                marks = [pytest.mark.slow] if row.slow and op != "callback" else []
                for cell in named:
                    yield pytest.param(row, cell, mode, id=f"{row.name}-{cell}-{mode}", marks=marks)


def _image_operation(op: str) -> ImageOperation:
    return next(i for i in IMAGE_OPERATIONS if f"submit:{i.operation_id}" == op)


def serve(row: Hostile, op: str) -> HostileServer:
    api = row.api if op.startswith("submit") or op in ("result", "wait") else good_api
    image = row.image if op == "download" else good_image

    def dispatch(server: HostileServer, connection: Any, request: Received) -> None:
        path = request.line.split()[1]
        if path.startswith(GOOD_PATH):
            good_image(server, connection, request)
        elif path.startswith(IMAGE_PATH):
            image(server, connection, request)
        else:
            api(server, connection, request)

    return HostileServer(dispatch)


def leaked(*texts: str) -> list[str]:
    joined = "\n".join(texts).lower()
    return [form for form in LEAKS if form.lower() in joined]


def run_api(client: HiDream, op: str, server: HostileServer, target: Path) -> Any:
    if op.startswith("submit"):
        operation = _image_operation(op)  # its typed method, or `send` until one is written
        typed = getattr(client.upscale, operation.method_name, None)
        return (
            typed(PNG, deadline=DEADLINE) if typed else client.upscale.send(operation, PNG, deadline=DEADLINE)
        )
    if op == "result":
        return client.upscale.result(TASK_ID, deadline=DEADLINE)
    if op == "wait":
        return client.upscale.wait(TASK_ID, timeout=DEADLINE, poll_interval=0.05)
    return client.upscale.download(server.url + IMAGE_PATH, target, max_bytes=1024 * 1024, deadline=DEADLINE)


async def arun_api(client: AsyncHiDream, op: str, server: HostileServer, target: Path) -> Any:
    if op.startswith("submit"):
        operation = _image_operation(op)
        typed = getattr(client.upscale, operation.method_name, None)
        if typed is None:
            return await client.upscale.send(operation, PNG, deadline=DEADLINE)
        return await typed(PNG, deadline=DEADLINE)
    if op == "result":
        return await client.upscale.result(TASK_ID, deadline=DEADLINE)
    if op == "wait":
        return await client.upscale.wait(TASK_ID, timeout=DEADLINE, poll_interval=0.05)
    return await client.upscale.download(
        server.url + IMAGE_PATH, target, max_bytes=1024 * 1024, deadline=DEADLINE
    )


def cli_argv(op: str, server: HostileServer, tmp_path: Path) -> list[str]:
    base = ["--base-url", server.url + "/gw"]
    if op.startswith("submit"):
        image = tmp_path / "in.png"
        image.write_bytes(PNG)
        return [_image_operation(op).command, str(image), "--deadline", str(DEADLINE), *base]
    if op == "result":
        return ["result", TASK_ID, "--deadline", str(DEADLINE), *base]
    if op == "wait":
        return [
            "result",
            TASK_ID,
            "--wait",
            "--wait-timeout",
            str(DEADLINE),
            "--poll-interval",
            "0.05",
            *base,
        ]
    return ["result", TASK_ID, "-o", str(tmp_path / "out.png"), "--deadline", str(DEADLINE), *base]


def expected_exit(outcome: Outcome) -> int:
    if outcome.error is None:
        return 0
    return next(code for cls, code in EXIT_CODES if issubclass(outcome.error, cls))


@pytest.mark.parametrize(("row", "op", "mode"), list(cases()))
def test_every_hostile_server_against_every_operation(
    row: Hostile,
    op: str,
    mode: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcome = row.outcomes[op.split(":")[0]]
    assert isinstance(outcome, Outcome)
    record_sleeps(monkeypatch)  # retries do not sleep; the wait's own pauses are short
    caplog.set_level(logging.DEBUG, logger="hidream")
    target = tmp_path / "out.png"
    surfaced: list[str] = []
    if op == "callback":
        assert row.callback is not None
        try:
            value: Any = parse_callback(row.callback)
        except HiDreamError as error:
            caught: BaseException | None = error
        else:
            caught = None
            surfaced += [repr(value), json.dumps(dict(value.envelope))]
        _check_outcome(outcome, caught)
        return
    with serve(row, op) as server:
        started = time.monotonic()
        caught = None
        if mode == "cli":
            monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
            out, err = io.StringIO(), io.StringIO()
            code = main(cli_argv(op, server, tmp_path), stdout=out, stderr=err)
            surfaced += [out.getvalue(), err.getvalue()]
            assert code == expected_exit(outcome), err.getvalue()
            assert "Traceback" not in err.getvalue()
            if op in ("wait", "download") and code not in (0, 9, 10, 13):
                # The task exists and may still give its image: the way back is printed.
                assert f"hidream-upscale result {TASK_ID}" in err.getvalue()
        else:
            try:
                if mode == "sync":
                    with HiDream(token=TOKEN, base_url=server.url + "/gw") as client:
                        value = run_api(client, op, server, target)
                else:

                    async def run() -> Any:
                        async with AsyncHiDream(token=TOKEN, base_url=server.url + "/gw") as client:
                            return await arun_api(client, op, server, target)

                    value = anyio.run(run)
            except HiDreamError as error:
                caught = error
                surfaced += [str(error), repr(error), repr(error.args)]
            else:
                surfaced += [repr(value)]
                envelope = getattr(value, "envelope", None)
                if envelope is not None:
                    surfaced.append(json.dumps(dict(envelope)))
            _check_outcome(outcome, caught)
        elapsed = time.monotonic() - started
        image_requests = [r for r in server.received if r.line.split()[1].startswith((IMAGE_PATH, GOOD_PATH))]
    surfaced.append(caplog.text)
    assert not leaked(*surfaced), f"the token surfaced: {leaked(*surfaced)}"
    assert all("authorization" not in r.headers for r in image_requests), "the token went to the image host"
    assert elapsed < BOUND, f"took {elapsed:.1f}s"
    files = sorted(p.name for p in tmp_path.iterdir())
    expected = {"in.png"} & set(files)
    if op == "download" and outcome.error is None:
        expected.add("out.png")
        assert target.read_bytes() == PNG
    assert set(files) == expected, f"files left: {files}"


def _check_outcome(outcome: Outcome, caught: BaseException | None) -> None:
    if outcome.error is None:
        assert caught is None, f"expected success, got {type(caught).__name__}: {caught}"
        return
    assert isinstance(caught, outcome.error), f"expected {outcome.error.__name__}, got {caught!r}"
    if "phase `deadline`" in outcome.note:
        assert getattr(caught, "phase", None) == "deadline"
    if isinstance(caught, WaitTimeoutError):
        assert caught.task_id == TASK_ID
        assert TASK_ID in str(caught)
    if "a task may have been created" in outcome.note:
        assert "a task may have been created" in str(caught)
        assert TASK_ID in str(caught)


def test_every_row_names_an_outcome_for_every_operation() -> None:
    for row in MATRIX:
        assert set(row.outcomes) == set(OPERATIONS), row.name
    assert len({row.name for row in MATRIX}) == len(MATRIX)


@pytest.mark.parametrize(
    ("markers", "rendered"), list(blocks().items()), ids=["hostile-matrix", "exit-codes"]
)
def test_the_manual_shows_the_tables_as_rendered_now(markers: tuple[str, str], rendered: str) -> None:
    text = shown(DOC.read_text(encoding="utf-8"), *markers)
    assert text is not None, f"docs/client.md lacks the markers {markers}"
    assert text.strip() == rendered.strip(), "docs/client.md is stale: run `python -m tests.client.matrix`"


def test_the_help_lists_every_exit_code_of_the_table() -> None:
    from hidream._cli_output import EXIT_TABLE
    from hidream.cli import EPILOG

    for row in EXIT_TABLE:
        assert f"{row.code:>3}  {row.meaning}" in EPILOG
