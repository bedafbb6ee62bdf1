"""The batch manifest: a JSON Lines journal of what was paid for, durable at every step.

One line per event, appended, flushed and fsynced before the next step happens (a submit is sent only
after its `submitting` line is on disk). Reading folds the events of each input (its `key`: content
hash, ratio and model version) into its last state. A crash can only tear the last line (a write cut
short): reading ignores it, and opening the file for more lines cuts it off first. A torn line never
says that a submit was sent, because the submit is sent only once its line is whole on disk.

Events: `submitting` (a submit is about to be sent), `accepted` (its task id), `not_accepted` (the
service answered that no task was created: rejected, rate limited; or it was never sent), `lost` (sent,
but its answer was lost: a task may exist), `done` (the output is saved), `failed` (the task ended
without an image), `saving` (its output is about to be written there: a file found at that path later
is this batch's own), `unsaved` (the task succeeded, the download failed: the next run downloads again).

A manifest is checked as it is read: a file that is not one (a last line that is not the start of a
record, a line that is not a record) is refused, never cut or appended to; its values are bounded (a
task id, key or output longer than `MAX_ID_CHARS` is refused, a source or detail cut to
`MAX_TEXT_CHARS`), so nothing huge is sent, kept in memory per input, or printed back.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from hidream.errors import InvalidInputError

FORMAT_VERSION: Final = 1
EVENTS: Final = frozenset(
    {"submitting", "accepted", "not_accepted", "lost", "saving", "done", "failed", "unsaved"}
)
MAX_ID_CHARS: Final = 4096
MAX_TEXT_CHARS: Final = 1000
_RECORD_START: Final = b'{"v":'
"""How every record this module writes begins: a torn last line must begin so too (or be cut within it)."""


def _torn_record(tail: bytes) -> bool:
    """Whether `tail` (a last line without its newline) can be a record a crash cut short."""
    return tail.startswith(_RECORD_START) or _RECORD_START.startswith(tail)


def _not_a_manifest(path: Path, why: str) -> InvalidInputError:
    return InvalidInputError(
        "manifest", f"{str(path)!r} is not a batch manifest ({why}); it is left as it is"
    )


@dataclass(slots=True)
class Entry:
    """What the manifest says about one input: its last event and what earlier ones established."""

    state: str
    task_id: str | None = None
    output: str | None = None
    source: str | None = None
    detail: str | None = None

    @property
    def has_task(self) -> bool:
        """A task was accepted for it (and is paid for, or will be)."""
        return self.task_id is not None and self.state not in ("submitting", "lost", "not_accepted")

    @property
    def answer_lost(self) -> bool:
        """A submit was sent and no answer recorded: a task may exist whose id nobody knows."""
        return self.state in ("submitting", "lost")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _fold(entries: dict[str, Entry], record: Mapping[str, Any], line: int, path: Path) -> None:
    key, event = record.get("key"), record.get("event")
    if not isinstance(key, str) or event not in EVENTS:
        raise InvalidInputError("manifest", f"{path}, line {line}: not a batch record (key and event)")
    entry = entries.get(key)
    if entry is None:
        entry = entries[key] = Entry(state=str(event))
    entry.state = str(event)
    if event == "submitting":
        entry.task_id = None  # a new submit: whatever task an earlier one had is not this one's
        entry.detail = None
    if event in ("submitting", "unsaved"):
        entry.output = None  # nothing of this batch's is at the output's path (a new task; not saved)
    if len(key) > MAX_ID_CHARS:
        raise InvalidInputError(
            "manifest", f"{path}, line {line}: a key longer than {MAX_ID_CHARS} characters"
        )
    for name in ("task_id", "output", "source", "detail"):
        value = record.get(name)
        if isinstance(value, str):
            if name in ("task_id", "output") and len(value) > MAX_ID_CHARS:
                raise InvalidInputError(
                    "manifest", f"{path}, line {line}: a {name} longer than {MAX_ID_CHARS} characters"
                )
            setattr(entry, name, value[:MAX_TEXT_CHARS] + "…" if len(value) > MAX_TEXT_CHARS else value)


def read(path: Path) -> dict[str, Entry]:
    """Every input's state in the manifest at `path` (empty if there is none yet).

    A last line without its newline is a write a crash cut short and is ignored; any other line that
    is not a record is an `InvalidInputError` naming it (someone edited the file).
    """
    entries: dict[str, Entry] = {}
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return entries
    except OSError as error:
        raise InvalidInputError("manifest", f"{path} cannot be read: {error.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                if not _torn_record(raw):
                    raise _not_a_manifest(path, f"line {number} is not a record")
                break  # the torn tail of a crashed write
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                if number == 1:
                    raise _not_a_manifest(path, "line 1 is not JSON") from None
                raise InvalidInputError("manifest", f"{path}, line {number}: not JSON") from None
            if not isinstance(record, dict):
                raise InvalidInputError("manifest", f"{path}, line {number}: not a JSON object")
            _fold(entries, record, number, path)
    return entries


class Journal:
    """The manifest open for appending: one writer (an exclusive lock), every line fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Never through a link, never blocking on a FIFO; what was opened must be a regular file.
        flags = (
            os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
        try:
            descriptor = os.open(path, flags, 0o666)
        except OSError as error:
            raise InvalidInputError("manifest", f"{str(path)!r} cannot be opened: {error.strerror}") from None
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise _not_a_manifest(path, "not a regular file")
        os.set_blocking(descriptor, True)
        self._file: IO[bytes] = os.fdopen(descriptor, "a+b")
        try:
            _lock_exclusively(self._file, path)
            self._cut_torn_tail()
        except BaseException:
            self._file.close()
            raise

    def _cut_torn_tail(self) -> None:
        self._file.seek(0, os.SEEK_END)
        size = self._file.tell()
        if size == 0:
            return
        self._file.seek(max(0, size - 1))
        if self._file.read(1) == b"\n":
            return
        # Find the last newline; everything after it is a torn record.
        position = size
        chunk = 4096
        keep = 0
        while position > 0:
            start = max(0, position - chunk)
            self._file.seek(start)
            data = self._file.read(position - start)
            index = data.rfind(b"\n")
            if index >= 0:
                keep = start + index + 1
                break
            position = start
        self._file.seek(keep)
        if not _torn_record(self._file.read(len(_RECORD_START))):
            raise _not_a_manifest(self.path, "its last line is not a record")
        self._file.truncate(keep)
        self._sync()

    def append(self, key: str, event: str, **fields: str | int | None) -> None:
        """Write one record and make it durable before returning (a `detail` cut to MAX_TEXT_CHARS)."""
        record: dict[str, Any] = {"v": FORMAT_VERSION, "key": key, "event": event, "at": now()}
        record.update({name: value for name, value in fields.items() if value is not None})
        detail = record.get("detail")
        if isinstance(detail, str) and len(detail) > MAX_TEXT_CHARS:
            record["detail"] = detail[:MAX_TEXT_CHARS] + "…"
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        with self._lock:
            self._file.write(line)
            self._sync()

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lock_exclusively(handle: IO[bytes], path: Path) -> None:
    """Refuse a second batch writing the same manifest at the same time (it would submit twice)."""
    if sys.platform == "win32":  # pragma: no cover - no flock there; one run at a time is on the user
        return
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InvalidInputError(
            "manifest", f"{path} is in use by another batch run; wait for it or use another --manifest"
        ) from None


def records(path: Path) -> Iterator[dict[str, Any]]:
    """The manifest's whole records in order (for tools and tests); a torn last line is skipped."""
    with path.open("rb") as handle:
        for raw in handle:
            if raw.endswith(b"\n") and raw.strip():
                record = json.loads(raw)
                if isinstance(record, dict):
                    yield record
