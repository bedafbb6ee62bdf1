"""The batch manifest: a JSON Lines journal of what was paid for, durable at every step.

One line per event, appended, flushed and fsynced before the next step happens (a submit is sent only
after its `submitting` line is on disk). Reading folds the events of each input (its `key`: content
hash, ratio and model version) into its last state. A crash can only tear the last line (a write cut
short): reading ignores it, and opening the file for more lines cuts it off first. A torn line never
says that a submit was sent, because the submit is sent only once its line is whole on disk.

Events: `submitting` (a submit is about to be sent), `accepted` (its task id), `not_accepted` (the
service answered that no task was created: rejected, rate limited; or it was never sent), `lost` (sent,
but its answer was lost: a task may exist), `done` (the output is saved), `failed` (the task ended
without an image), `unsaved` (the task succeeded, the download failed: the next run downloads again).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from hidream.errors import InvalidInputError

FORMAT_VERSION: Final = 1
EVENTS: Final = frozenset({"submitting", "accepted", "not_accepted", "lost", "done", "failed", "unsaved"})


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
    for name in ("task_id", "output", "source", "detail"):
        value = record.get(name)
        if isinstance(value, str):
            setattr(entry, name, value)


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
                break  # the torn tail of a crashed write
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
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
        self._file: IO[bytes] = path.open("a+b")
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
        self._file.truncate(keep)
        self._sync()

    def append(self, key: str, event: str, **fields: str | int | None) -> None:
        """Write one record and make it durable before returning."""
        record: dict[str, Any] = {"v": FORMAT_VERSION, "key": key, "event": event, "at": now()}
        record.update({name: value for name, value in fields.items() if value is not None})
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
