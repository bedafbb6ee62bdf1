"""Every place a tool may be asked to write x every operation that writes, sync, async and the CLI.

The table is `tests/client/hostile_use.py` (`PLACES`, rendered into docs/client.md). Whatever the
cell: the outcome the table names (written / kept before paying / paid but unsaved, with the exit
code), nothing written outside the place named, what the row keeps kept (the user's file, a link, a
device node, a FIFO, a text file given as manifest), no temporary file left, no traceback, and the
output of the CLI bounded.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import hidream.batch
from hidream import AsyncHiDream, HiDream, HiDreamError, InvalidInputError
from hidream._cli_batch import exit_code as batch_exit_code
from hidream.cli import main
from tests.client.hostile_use import (
    BATCH_URL,
    KEPT,
    OPERATIONS,
    PLACES,
    UNSAVED,
    WRITTEN,
    NotApplicable,
    Outcome,
    Place,
    Scene,
    render,
    shown,
)
from tests.client.matrix import IMAGE_PATH, TASK_ID, good_api, good_image
from tests.doubles.http import PNG, TOKEN, HostileServer, Received

MODES = {
    "download": ("sync", "async"),
    "submit-o": ("cli",),
    "result-o": ("cli",),
    "batch": ("sync", "async", "cli"),
}
MAX_PRINTED = 64 * 1024  # a bounded run prints a few KiB; the 2 MiB field would blow it


def cases() -> Iterator[Any]:
    for row in PLACES:
        for op in OPERATIONS:
            if isinstance(row.outcomes[op], NotApplicable):
                continue
            for mode in MODES[op]:
                marks = []
                if row.root_only:
                    marks.append(
                        pytest.mark.skipif(os.geteuid() != 0, reason="makes a device node: root only")
                    )
                yield pytest.param(row, op, mode, id=f"{row.name}-{op}-{mode}", marks=marks)


def server() -> HostileServer:
    def dispatch(server: HostileServer, connection: Any, request: Received) -> None:
        if request.line.split()[1].startswith(IMAGE_PATH):
            good_image(server, connection, request)
        else:
            good_api(server, connection, request)

    return HostileServer(dispatch)


def paid(api: HostileServer) -> int:
    return sum(1 for request in api.received if request.line.startswith("POST"))


def leftovers(scene: Scene) -> list[str]:
    return [str(p) for p in scene.root.rglob("*.part")]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIDREAM_API_TOKEN", TOKEN)
    monkeypatch.delenv("HIDREAM_API_BASE_URL", raising=False)


@pytest.fixture(autouse=True)
def machine_devices() -> Iterator[None]:
    """The rows aim at device nodes of their own, never the machine's; should a regression reach
    /dev/null or /dev/full anyway (run as root, a rename replaces them), they are put back and the
    test fails, so one bad run does not break every other process on the machine."""
    yield
    broken = []
    for name, minor in (("null", 3), ("full", 7)):
        path = Path("/dev") / name
        if not stat.S_ISCHR(os.lstat(path).st_mode):
            broken.append(str(path))
            if os.geteuid() == 0:
                path.unlink()
                os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
                path.chmod(0o666)
    assert not broken, f"the machine's {broken} were replaced (and have been restored)"


@pytest.mark.parametrize(("row", "op", "mode"), list(cases()))
def test_every_place_against_every_writer(row: Place, op: str, mode: str, tmp_path: Path) -> None:
    outcome = row.outcomes[op]
    assert isinstance(outcome, Outcome)
    scene = Scene(tmp_path)
    row.build(scene)
    target = row.target_of(scene)
    with server() as api:
        base = api.url + "/gw"
        if op == "download":
            ended = _download(row, mode, base, api.url + IMAGE_PATH, target, scene)
            _check_api(outcome, ended)
        elif op in ("submit-o", "result-o"):
            code, out, err = _cli_output(row, op, base, target, scene)
            _check_cli(outcome, op, code, err, api)
            assert len(out) + len(err) < MAX_PRINTED
        else:
            code, printed = _batch(row, mode, base, scene)
            assert code == outcome.batch_exit(), printed
            assert len(printed) < MAX_PRINTED
            if outcome.kind == KEPT:
                assert paid(api) == 0, "paid for an input whose output could not be written"
            if outcome.kind == WRITTEN:
                written = [p for p in scene.out.rglob("*.png") if p.is_file() and not p.is_symlink()]
                assert [p.read_bytes() for p in written] == [PNG], written
    row.keeps(scene, outcome.kind)
    assert leftovers(scene) == []
    if outcome.kind == WRITTEN and op != "batch" and target.is_file() and not target.is_symlink():
        assert target.read_bytes() == PNG


# --- the operations --------------------------------------------------------------------------------


def _download(row: Place, mode: str, base: str, url: str, target: Path, scene: Scene) -> BaseException | None:
    within = scene.out if target.is_relative_to(scene.out) else None
    try:
        if mode == "sync":
            with HiDream(token=TOKEN, base_url=base) as client:
                client.upscale.download(url, target, overwrite=row.force, within=within, deadline=5)
        else:

            async def run() -> None:
                async with AsyncHiDream(token=TOKEN, base_url=base) as client:
                    await client.upscale.download(url, target, overwrite=row.force, within=within, deadline=5)

            anyio.run(run)
    except HiDreamError as error:
        return error
    return None


def _check_api(outcome: Outcome, error: BaseException | None) -> None:
    if outcome.kind == WRITTEN:
        assert error is None, f"expected it written, got {error!r}"
    elif outcome.kind == KEPT:
        assert isinstance(error, InvalidInputError), f"expected InvalidInputError, got {error!r}"
    else:
        assert isinstance(error, HiDreamError), repr(error)
        assert not isinstance(error, InvalidInputError), repr(error)


def _cli_output(row: Place, op: str, base: str, target: Path, scene: Scene) -> tuple[int, str, str]:
    force = ["--force"] if row.force else []
    if op == "submit-o":
        image = scene.inputs / "in.png"
        image.write_bytes(PNG)
        argv = ["submit", str(image), "-o", str(target), *force, "--poll-interval", "0.05"]
    else:
        argv = ["result", TASK_ID, "-o", str(target), *force, "--poll-interval", "0.05"]
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main([*argv, "--base-url", base], stdout=out, stderr=err)
    except SystemExit as exit:  # argparse's usage error (the console script exits with it)
        code = int(exit.code or 0)
    return code, out.getvalue(), err.getvalue()


def _check_cli(outcome: Outcome, op: str, code: int, err: str, api: HostileServer) -> None:
    assert "Traceback" not in err
    if outcome.kind == WRITTEN:
        assert code == 0, err
    elif outcome.kind == KEPT:
        assert code == 2, err
        assert paid(api) == 0, "a task was paid for an output that could not be written"
    else:
        assert code == 12, err
        assert f"hidream-upscale result {TASK_ID} --wait -o" in err, "the way back to the paid task"
    if op == "submit-o" and outcome.kind == UNSAVED:
        assert paid(api) == 1


def _batch(row: Place, mode: str, base: str, scene: Scene) -> tuple[int, str]:
    inputs = [str(scene.inputs)] if row.folder_input else [row.batch_input or BATCH_URL]
    manifest = row.manifest(scene) if row.manifest is not None else None
    options: dict[str, Any] = {"manifest": manifest, "overwrite": row.force, "poll_interval": 0.05}
    if mode == "cli":
        argv = ["batch", *inputs, "-o", str(scene.out), "--poll-interval", "0.05", "--base-url", base]
        argv += ["--manifest", str(manifest)] if manifest is not None else []
        argv += ["--force"] if row.force else []
        out, err = io.StringIO(), io.StringIO()
        code = main(argv, stdout=out, stderr=err)
        assert "Traceback" not in err.getvalue()
        return code, out.getvalue() + err.getvalue()
    try:
        if mode == "sync":
            with HiDream(token=TOKEN, base_url=base) as client:
                summary = hidream.batch.run(client, inputs, scene.out, **options)
        else:

            async def run() -> hidream.batch.BatchSummary:
                async with AsyncHiDream(token=TOKEN, base_url=base) as client:
                    return await hidream.batch.arun(client, inputs, scene.out, **options)

            summary = anyio.run(run)
    except InvalidInputError as error:
        return 2, str(error)
    return batch_exit_code(summary), repr(summary.problems)


def test_every_row_names_an_outcome_for_every_operation() -> None:
    for row in PLACES:
        assert set(row.outcomes) == set(OPERATIONS), row.name
    assert len({row.name for row in PLACES}) == len(PLACES)


def test_the_manual_shows_the_write_matrix_as_rendered_now() -> None:
    from tests.client.hostile_use import DOC

    text = shown(DOC.read_text(encoding="utf-8"))
    assert text is not None, "docs/client.md lacks the write-matrix markers"
    assert text.strip() == render().strip(), (
        "docs/client.md is stale: run `python -m tests.client.hostile_use`"
    )


@pytest.mark.parametrize("mode", ["sync", "async", "cli"])
def test_a_fifo_with_a_reader_gets_the_whole_image_in_place(mode: str, tmp_path: Path) -> None:
    """The FIFO row's other half: with a reader there, the image goes through it (as `cat > fifo`)."""
    scene = Scene(tmp_path)
    pipe = scene.out / "pipe.png"
    os.mkfifo(pipe)
    reader = os.open(
        pipe, os.O_RDONLY | os.O_NONBLOCK
    )  # a reader, open before the write (the PNG fits the pipe)
    try:
        with server() as api:
            if mode == "cli":
                out, err = io.StringIO(), io.StringIO()
                code = main(
                    ["result", TASK_ID, "-o", str(pipe), "--base-url", api.url + "/gw"],
                    stdout=out,
                    stderr=err,
                )
                assert code == 0, err.getvalue()
            else:
                place = next(row for row in PLACES if row.name == "new")
                assert _download(place, mode, api.url + "/gw", api.url + IMAGE_PATH, pipe, scene) is None
        assert os.read(reader, 1 << 16) == PNG
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert leftovers(scene) == []


@pytest.mark.parametrize(
    "name",
    ["é" * 300, "日本" * 100, "a\x1b[31m\r\n\x00b", "..", ".", "", "/etc/passwd", "\u202egnp.exe", "\ud800x"],
)
def test_a_name_made_safe_is_one_short_printable_component(name: str) -> None:
    from hidream._paths import MAX_STEM_BYTES, safe_component

    safe = safe_component(name)
    assert safe
    assert safe not in (".", "..")
    assert "/" not in safe
    assert safe.isprintable()
    assert len(safe.encode("utf-8")) <= MAX_STEM_BYTES  # whole characters only: it encodes
