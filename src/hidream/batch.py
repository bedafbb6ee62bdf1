"""Upscale many images: resumable, never paying twice for an input, with progress (`hidream-upscale batch`).

    import hidream, hidream.batch
    with hidream.HiDream() as client:
        summary = hidream.batch.run(client, ["photos/"], "upscaled/", upsale_ratio=4, max_tasks=500)
    print(summary.counts.done, summary.finished)

    # async: summary = await hidream.batch.arun(async_client, ["photos/"], "upscaled/")
    # what would happen, nothing sent: hidream.batch.plan(["photos/"], "upscaled/").tasks_to_create

Every input (a PNG/JPEG/WebP file, the images of a folder, or the URLs of a .txt file) is known by its
key: the SHA-256 of its content (of the URL for a URL), the ratio and the model version. A journal,
the manifest (`_manifest`, default OUTDIR/.hidream-batch.jsonl), records each step before it happens.
Run the same batch again and it skips what is done, waits for the tasks already accepted, submits only
inputs that never got a task, and reports (does not resubmit) an input whose submit's answer was lost,
unless `resubmit_lost=True`. Built only on the client's public API: `upscale.submit`, `result`,
`download` and `hidream.errors`.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Final, Protocol
from urllib.parse import unquote, urlsplit

from anyio import CancelScope, create_task_group, to_thread  # from-imports: see _core
from anyio import sleep as anyio_sleep
from hidream_api_client.models import ModelVersion, UpsaleRatio

# The client's public API; the private imports are the client's own image checks, the spec's defaults
# as the submit applies them, and the one place that decides where files are written (one place each,
# shared with `hidream-upscale submit`).
from hidream import MAX_IMAGE_BYTES, AsyncHiDream, HiDream, TaskResult, TaskStatus, UpscaleTask, _manifest
from hidream._images import image_format, is_http_url
from hidream._paths import check_manifest, check_target, leads_out, safe_component, safe_relative
from hidream._upscale import DEFAULT_RATIO, DEFAULT_VERSION
from hidream.errors import (
    APIConnectionError,
    AuthenticationError,
    HiDreamError,
    InvalidInputError,
    RateLimitError,
    RejectedRequestError,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_WAIT_TIMEOUT",
    "IMAGE_SUFFIXES",
    "MANIFEST_NAME",
    "BatchEvent",
    "BatchItem",
    "BatchPlan",
    "BatchSummary",
    "Counts",
    "arun",
    "plan",
    "run",
]

DEFAULT_CONCURRENCY: Final = 4
MAX_CONCURRENCY: Final = 64
DEFAULT_WAIT_TIMEOUT: Final = 900.0
DEFAULT_POLL_INTERVAL: Final = 5.0
MANIFEST_NAME: Final = ".hidream-batch.jsonl"
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webp")
URL_LIST_SUFFIXES: Final = (".txt", ".urls")
_CHUNK: Final = 1024 * 1024
_STALE_PART: Final = re.compile(r"\..+_x\d(-[0-9a-f]{8})?\.[a-z]+\.[^.]+\.part")

# What the plan decides for an input.
SUBMIT, COLLECT, SKIP, LOST, FAILED, INVALID, DUPLICATE = (
    "submit",
    "collect",
    "skip",
    "lost",
    "failed",
    "invalid",
    "duplicate",
)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One input and what this run does with it."""

    source: str
    """The file path or URL as found."""
    key: str
    """`sha256:<hex>:x<ratio>:<version>`: the input's identity in the manifest."""
    output_base: str
    """The output's path in OUTDIR, without its suffix (the output image's own: .png, .jpg…)."""
    action: str
    """submit, collect (a task exists: wait and download), skip (done), lost (a submit's answer was lost:
    reported, not resubmitted), failed (its task ended without an image), invalid, duplicate."""
    is_url: bool = False
    task_id: str | None = None
    detail: str | None = None
    output: str | None = None
    """The output file the manifest says this batch is writing or wrote for it (it may replace that one)."""


@dataclass(frozen=True)
class BatchPlan:
    """What a run would do: every input's action; `tasks_to_create` is the most it would pay for."""

    items: tuple[BatchItem, ...]
    manifest: Path
    outdir: Path
    upsale_ratio: int
    version: str
    max_tasks: int | None
    resubmit_lost: bool = False
    resubmit_failed: bool = False
    overwrite: bool = False

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    @property
    def tasks_to_create(self) -> int:
        submits = self.count(SUBMIT)
        return submits if self.max_tasks is None else min(submits, self.max_tasks)


@dataclass(frozen=True, slots=True)
class Counts:
    """Where the run stands. Every input is in exactly one of these once the run ends."""

    total: int = 0
    skipped: int = 0  # done in an earlier run
    sent: int = 0  # submits sent this run (each may be a billed task): what --max-tasks caps
    submitting: int = 0  # submits sent and not answered yet
    running: int = 0  # tasks accepted (or collected) and not final yet
    done: int = 0
    failed: int = 0  # the task ended without an image (failed or refused by the safety review)
    lost: int = 0  # a submit's answer was lost: a task may exist (not resubmitted)
    not_accepted: int = 0  # refused, rate limited or not sent: no task; the next run tries again
    unsaved: int = 0  # succeeded, but the download failed: the next run downloads again
    waiting: int = 0  # still not final when the wait ended: the next run waits again
    capped: int = 0  # not submitted: max_tasks reached
    pending: int = 0  # not started: the run was stopped first
    invalid: int = 0
    duplicate: int = 0  # the same content (and options) as an earlier input: processed once


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """One input changed state. `state`: the `Counts` field it is now counted in (submitting, running,
    done, failed, lost, not_accepted, unsaved, waiting, capped, skipped, invalid, duplicate)."""

    source: str
    state: str
    counts: Counts
    task_id: str | None = None
    output: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class BatchSummary:
    """How a run ended. `finished`: every input has its output (or had it before, or is a duplicate)."""

    counts: Counts
    manifest: Path
    elapsed: float
    interrupted: bool
    problems: tuple[BatchEvent, ...] = field(repr=False)
    """The inputs that did not end done, with the reason (capped at `MAX_PROBLEMS` listed)."""
    aborted: str | None = None
    """Why the run stopped early for every input (the token was refused), if it did."""

    @property
    def finished(self) -> bool:
        c = self.counts
        return c.done + c.skipped + c.duplicate == c.total

    @property
    def resumable(self) -> bool:
        """Running the same batch again can still make progress without paying twice."""
        c = self.counts
        return self.interrupted or c.capped + c.pending + c.waiting + c.unsaved + c.not_accepted > 0


MAX_PROBLEMS: Final = 1000
OnEvent = Callable[[BatchEvent], object]


class StopFlag(Protocol):
    """What `stop=` must offer: `threading.Event` does (set it from a signal handler or another thread)."""

    def is_set(self) -> bool: ...


# --- planning ----------------------------------------------------------------------------------------


def _checked_options(
    upsale_ratio: object, concurrency: object, max_tasks: object, version: object = None
) -> None:
    # The allowed values are the spec's (the generated enums), as the submit itself checks them.
    ratios = [ratio.value for ratio in UpsaleRatio]
    if isinstance(upsale_ratio, bool) or upsale_ratio not in ratios:
        raise InvalidInputError("upsale_ratio", f"not {upsale_ratio!r}", allowed=ratios)
    versions = [each.value for each in ModelVersion]
    if version is not None and version not in versions:
        raise InvalidInputError("version", f"not {version!r}", allowed=versions)
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise InvalidInputError(
            "concurrency", f"must be an int from 1 to {MAX_CONCURRENCY}, not {concurrency!r}"
        )
    if max_tasks is not None and (
        isinstance(max_tasks, bool) or not isinstance(max_tasks, int) or max_tasks < 0
    ):
        raise InvalidInputError("max_tasks", f"must be an int >= 0 or None, not {max_tasks!r}")


def _sources(inputs: Iterable[str | PathLike[str]], outdir: Path) -> Iterator[tuple[str, bool, str]]:
    """(source, is_url, output path relative to OUTDIR without suffix) for every input, in order."""
    out = outdir.resolve()
    for given in inputs:
        text = str(given)
        if is_http_url(text):
            yield text, True, safe_component(_url_name(text))
            continue
        path = Path(given)
        if path.is_dir():
            yield from _folder(path, out)
        elif path.is_file():
            if path.suffix.lower() in URL_LIST_SUFFIXES:
                yield from _url_list(path)
            else:
                yield str(path), False, safe_component(path.stem)
        else:
            raise InvalidInputError("inputs", f"{text} is not a file, a folder or an http(s) URL")


def _folder(root: Path, out: Path) -> Iterator[tuple[str, bool, str]]:
    """A folder's images, recursively, in name order; one directory's names in memory at a time.
    Plain strings, not Path objects: pathlib interns every part, which would hold every name for good."""
    for folder, dirs, names in os.walk(root):
        if Path(folder).resolve().is_relative_to(out):  # never our own outputs
            dirs.clear()
            continue
        dirs.sort()
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        for name in sorted(names):
            stem, dot, suffix = name.rpartition(".")
            full = os.path.join(folder, name)  # noqa: PTH118 - strings: see above
            if dot and f".{suffix.lower()}" in IMAGE_SUFFIXES and os.path.isfile(full):  # noqa: PTH113
                yield full, False, safe_relative(prefix + stem)


def _url_name(url: str) -> str:
    return PurePosixPath(PurePosixPath(unquote(urlsplit(url).path)).name).stem or "image"


def _url_list(path: Path) -> Iterator[tuple[str, bool, str]]:
    try:
        handle = path.open(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise InvalidInputError("inputs", f"{path} cannot be read: {error}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            url = line.strip()
            if not url or url.startswith("#"):
                continue
            if not is_http_url(url):
                raise InvalidInputError("inputs", f"{path}, line {number}: not an http(s) URL")
            yield url, True, safe_component(_url_name(url))


def _digest(source: str, is_url: bool) -> tuple[str | None, str | None]:
    """(sha256 hex, None) or (None, why the input is unusable). Streams the file: no image is held."""
    if is_url:
        return hashlib.sha256(b"url:" + source.encode("utf-8")).hexdigest(), None
    try:
        size = os.stat(source).st_size  # noqa: PTH116 - a str, not a Path: pathlib interns every part
        if size == 0:
            return None, "empty file"
        if size > MAX_IMAGE_BYTES:
            return None, f"{size} bytes, more than the limit of {MAX_IMAGE_BYTES}"
        digest = hashlib.sha256()
        with open(source, "rb") as handle:  # noqa: PTH123 - as above
            first = handle.read(_CHUNK)
            if image_format(first) is None:
                return None, "not a PNG, JPEG or WebP image"
            digest.update(first)
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as error:
        return None, f"cannot be read: {error.strerror}"
    return digest.hexdigest(), None


def plan(
    inputs: Sequence[str | PathLike[str]],
    outdir: str | PathLike[str],
    *,
    upsale_ratio: int = DEFAULT_RATIO,
    version: str = DEFAULT_VERSION,
    manifest: str | PathLike[str] | None = None,
    max_tasks: int | None = None,
    resubmit_lost: bool = False,
    resubmit_failed: bool = False,
    overwrite: bool = False,
) -> BatchPlan:
    """What a run would do with `inputs`, read from disk and the manifest; sends nothing, writes nothing.

    Raises `InvalidInputError` for an input that does not exist, a bad URL line, a manifest that is not
    one (or records an output outside OUTDIR). An unusable file (not an image, too large), or one whose
    output name is taken by a file this batch did not write (unless `overwrite`) or leads out of OUTDIR
    through a link, is an item with action "invalid", not an error: nothing is paid for it.
    """
    _checked_options(upsale_ratio, 1, max_tasks, version)
    if isinstance(inputs, str | PathLike) or not inputs:
        raise InvalidInputError("inputs", "give a list of files, folders, URL-list .txt files or URLs")
    if not isinstance(overwrite, bool):
        raise InvalidInputError("overwrite", f"must be True or False, not {overwrite!r}")
    out = Path(outdir)
    if manifest is None:
        manifest_path = out / MANIFEST_NAME
        check_manifest(manifest_path, within=out)
    else:
        manifest_path = Path(manifest)
        check_manifest(manifest_path)
    entries = _manifest.read(manifest_path)
    items: list[BatchItem] = []
    seen: dict[str, str] = {}
    names: set[str] = set()
    # Output names the manifest already gave: an input keeps its own, and no new input takes another's.
    taken = {base: key for key, entry in entries.items() if (base := _recorded_base(entry, out)) is not None}
    for source, is_url, rel in _sources(inputs, out):
        digest, problem = _digest(source, is_url)
        if digest is None:
            items.append(BatchItem(source, "", "", INVALID, is_url, detail=problem))
            continue
        key = f"sha256:{digest}:x{upsale_ratio}:{version}"
        if key in seen:
            items.append(BatchItem(source, key, "", DUPLICATE, is_url, detail=f"same as {seen[key]}"))
            continue
        seen[key] = source
        entry = entries.get(key)
        base = _recorded_base(entry, out) if entry is not None else None
        if base is None:
            base = f"{rel}_x{upsale_ratio}"
            if base in names or taken.get(base, key) != key:
                base = f"{base}-{digest[:8]}"
        names.add(base)
        item = _decide(source, key, base, is_url, entry, resubmit_lost, resubmit_failed)
        if item.action == SUBMIT:
            taken_by = _output_taken(out, base, item.output, overwrite)
            if taken_by is not None:
                item = replace(item, action=INVALID, detail=f"not submitted: {taken_by}")
        items.append(item)
    return BatchPlan(
        tuple(items),
        manifest_path,
        out,
        upsale_ratio,
        version,
        max_tasks,
        resubmit_lost,
        resubmit_failed,
        overwrite,
    )


def _recorded_base(entry: _manifest.Entry, out: Path) -> str | None:
    """The output name (in OUTDIR, without suffix) the manifest recorded for an input, if any; a
    recorded output that leads out of OUTDIR (`..`, an unsafe name) is a tampered manifest, refused."""
    if not entry.output:
        return None
    try:
        base = Path(entry.output).relative_to(out).with_suffix("").as_posix()
    except ValueError:  # written under another spelling of OUTDIR: a new name is chosen
        return None
    if safe_relative(base) != base or leads_out(out, out / base) is not None:
        raise InvalidInputError(
            "manifest", f"it records an output outside OUTDIR or with an unsafe name: {entry.output[:200]!r}"
        )
    return base


def _same_file(one: str | Path | None, other: str | Path) -> bool:
    return one is not None and os.path.abspath(one) == os.path.abspath(other)  # noqa: PTH100 - spellings


def _nothing_at(path: str) -> bool:
    """Whether nothing (no file, link, device or FIFO) is at `path`; an error is left to `check_target`."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    return False


def _output_taken(out: Path, base: str, recorded: str | None, overwrite: bool) -> str | None:
    """Why the output name `base` cannot be given to a new task (checked before it is paid for): it
    leads out of OUTDIR through a link, or a file this batch did not write holds one of its names."""
    # Names as strings, a Path only for a name something is at: pathlib interns every name it parses,
    # and four names per input grew the interpreter's table of interned strings with the number of
    # inputs (make bench's batch memory row).
    first = os.path.join(out, base + ".png")  # noqa: PTH118 - strings: see above
    why = leads_out(out, first)
    if why is not None:
        return why
    if not os.path.isdir(os.path.dirname(first)):  # noqa: PTH112, PTH120 - no file there yet
        return None
    for suffix in IMAGE_SUFFIXES:
        target = os.path.join(out, base + suffix)  # noqa: PTH118
        if _same_file(recorded, target) or _nothing_at(target):
            continue
        try:
            found = check_target(Path(target), overwrite=overwrite, field="output", how="--force")
        except InvalidInputError as error:
            return error.problem
        if found.in_place:
            return f"{str(target)!r} is a device or FIFO, not a file"
    return None


def _refreshed(the_plan: BatchPlan) -> BatchPlan:
    """The plan decided again from the manifest as it is now that this run holds its lock: a plan made
    earlier (before another run finished) would otherwise submit inputs that run already paid for."""
    entries = _manifest.read(the_plan.manifest)
    if not entries:
        return the_plan
    items = []
    for item in the_plan.items:
        if item.action not in (INVALID, DUPLICATE):
            fresh = _decide(
                item.source,
                item.key,
                item.output_base,
                item.is_url,
                entries.get(item.key),
                the_plan.resubmit_lost,
                the_plan.resubmit_failed,
            )
            item = item if fresh == item else fresh
        items.append(item)
    return replace(the_plan, items=tuple(items))


def _decide(
    source: str,
    key: str,
    output_base: str,
    is_url: bool,
    entry: _manifest.Entry | None,
    resubmit_lost: bool,
    resubmit_failed: bool,
) -> BatchItem:
    item = _decided(source, key, output_base, is_url, entry, resubmit_lost, resubmit_failed)
    return item if entry is None or entry.output is None else replace(item, output=entry.output)


def _decided(
    source: str,
    key: str,
    output_base: str,
    is_url: bool,
    entry: _manifest.Entry | None,
    resubmit_lost: bool,
    resubmit_failed: bool,
) -> BatchItem:
    if entry is None or entry.state == "not_accepted":
        return BatchItem(source, key, output_base, SUBMIT, is_url)
    if entry.answer_lost:
        if resubmit_lost:
            return BatchItem(source, key, output_base, SUBMIT, is_url, detail="resubmitted: answer lost")
        return BatchItem(
            source,
            key,
            output_base,
            LOST,
            is_url,
            detail="a submit was sent and its answer lost: a task may exist; not resubmitted",
        )
    if entry.state == "failed":
        if resubmit_failed:
            return BatchItem(source, key, output_base, SUBMIT, is_url, detail="resubmitted: task failed")
        return BatchItem(source, key, output_base, FAILED, is_url, entry.task_id, entry.detail)
    if entry.state == "done" and entry.output and Path(entry.output).is_file():
        return BatchItem(source, key, output_base, SKIP, is_url, entry.task_id)
    # accepted, unsaved, or done with its output gone: the task is paid for; read it and download.
    return BatchItem(source, key, output_base, COLLECT, is_url, entry.task_id)


# --- running -----------------------------------------------------------------------------------------


def _no_task(error: Exception) -> bool:
    """The submit surely created no task: refused, rate limited, rejected locally, or never sent.
    Anything else (a timeout after sending, a dropped connection, a 5xx, a garbled answer, an error
    that is not the client's) may hide a created task: the answer is lost."""
    if isinstance(error, InvalidInputError | AuthenticationError | RejectedRequestError | RateLimitError):
        return True
    return isinstance(error, APIConnectionError) and not error.request_sent


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _suffix(result: TaskResult) -> str:
    suffix = PurePosixPath(urlsplit(result.images[0]).path).suffix.lower() if result.images else ""
    return suffix if suffix in IMAGE_SUFFIXES else ".png"


class _Run:
    """The state one run shares between its workers: the journal, the counts, the task budget."""

    def __init__(
        self,
        the_plan: BatchPlan,
        journal: _manifest.Journal,
        on_event: OnEvent | None,
        stop: StopFlag | None,
        wait_timeout: float,
        poll_interval: float,
    ) -> None:
        self.plan = the_plan
        self.journal = journal
        self.on_event = on_event
        self.stop_flag = stop
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter(total=len(the_plan.items))
        self.problems: list[BatchEvent] = []
        self.budget = the_plan.max_tasks
        self.aborted: str | None = None
        self.keyboard_interrupt = False
        self.started = time.monotonic()
        # Tasks already paid for are collected first, then inputs in the order given.
        work = [i for i in the_plan.items if i.action == COLLECT] + [
            i for i in the_plan.items if i.action == SUBMIT
        ]
        self.queue: Iterator[BatchItem] = iter(work)
        self.counts["pending"] = len(work)
        # The inputs in progress (at most `concurrency`): id(item) -> (its count now, its task id).
        self.where: dict[int, tuple[str, str | None]] = {}
        self.callback_failures = 0

    @property
    def stopping(self) -> bool:
        return self.aborted is not None or self.interrupted

    @property
    def interrupted(self) -> bool:
        return self.keyboard_interrupt or (self.stop_flag is not None and self.stop_flag.is_set())

    def next_item(self) -> BatchItem | None:
        with self.lock:
            if self.stopping:
                return None
            item = next(self.queue, None)
            if item is not None:
                self.counts["pending"] -= 1
            return item

    def snapshot(self) -> Counts:
        return Counts(**{name: self.counts[name] for name in Counts.__dataclass_fields__})

    def emit(
        self,
        item: BatchItem,
        state: str,
        *,
        leaving: str | None = None,
        task_id: str | None = None,
        output: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self.lock:
            if leaving is not None:
                self.counts[leaving] -= 1
            if state in Counts.__dataclass_fields__:
                self.counts[state] += 1
            if state in ("submitting", "running"):
                self.where[id(item)] = (state, task_id or item.task_id)
            else:
                self.where.pop(id(item), None)
            event = BatchEvent(item.source, state, self.snapshot(), task_id, output, detail)
            if (
                state not in ("done", "skipped", "duplicate", "running", "submitting")
                and len(self.problems) < MAX_PROBLEMS
            ):
                self.problems.append(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a broken display must not stop the batch or lose what it records
                with self.lock:
                    self.callback_failures += 1

    def begin(self, item: BatchItem) -> None:
        with self.lock:
            self.where[id(item)] = ("started", item.task_id)

    def crashed(self, item: BatchItem, error: BaseException) -> None:
        """An error no step expected (whatever its type): recorded against the input, in the manifest
        where it matters, so the worker goes on and the input is in the summary with its task id."""
        with self.lock:
            where, task_id = self.where.pop(id(item), (None, None))
        detail = f"unexpected {_describe(error)}"
        if where == "submitting":  # sent, and no answer recorded: a task may exist
            self.journal.append(item.key, "lost", detail=detail)
            self.emit(item, "lost", leaving="submitting", detail=detail)
        elif where == "running":  # paid for: the next run reads it and downloads again
            self.journal.append(item.key, "unsaved", task_id=task_id, detail=detail)
            self.emit(item, "unsaved", leaving="running", task_id=task_id, detail=detail)
        elif where == "started":  # nothing was sent for it: the next run tries again
            self.emit(item, "not_accepted", detail=detail)
        # None: the input had already ended (counted and recorded) when the error came

    def report_planned(self) -> None:
        """Events for the inputs the plan already settled (skipped, lost, failed, invalid, duplicate)."""
        states = {SKIP: "skipped", LOST: "lost", FAILED: "failed", INVALID: "invalid", DUPLICATE: "duplicate"}
        for item in self.plan.items:
            if item.action in states:
                self.emit(item, states[item.action], task_id=item.task_id, detail=item.detail)

    # The steps of one input, shared by the sync and async workers.
    def may_submit(self, item: BatchItem) -> bool:
        """Take one task from the budget (before anything is written or sent), or record the cap."""
        with self.lock:
            if self.stopping:  # stopped since this worker took the item: it was never started
                self.counts["pending"] += 1
                self.where.pop(id(item), None)
                return False
            allowed = self.budget is None or self.budget > 0
            if allowed and self.budget is not None:
                self.budget -= 1
        if not allowed:
            self.emit(item, "capped", detail="not submitted: --max-tasks reached")
        return allowed

    def image(self, item: BatchItem) -> bytes | str | None:
        """What to send: the URL, or the file's bytes if its content is still the planned one."""
        if item.is_url:
            return item.source
        try:
            data = Path(item.source).read_bytes()
        except OSError as error:
            self.emit(item, "invalid", detail=f"cannot be read: {error.strerror}")
            return None
        if not item.key.startswith(f"sha256:{hashlib.sha256(data).hexdigest()}:"):
            self.emit(item, "invalid", detail="the file changed since the batch started; run it again")
            return None
        return data

    def submitting(self, item: BatchItem) -> None:
        self.journal.append(item.key, "submitting", source=item.source)
        with self.lock:
            self.counts["sent"] += 1
        self.emit(item, "submitting")

    def submit_failed(self, item: BatchItem, error: Exception) -> None:
        detail = _describe(error)
        if _no_task(error):
            self.journal.append(item.key, "not_accepted", detail=detail)
            self.emit(item, "not_accepted", leaving="submitting", detail=detail)
            if isinstance(error, AuthenticationError):
                self.aborted = f"the token was refused ({detail}); nothing more was submitted"
        else:
            self.journal.append(item.key, "lost", detail=detail)
            self.emit(item, "lost", leaving="submitting", detail=detail)

    def accepted(self, item: BatchItem, task: UpscaleTask) -> str:
        self.journal.append(item.key, "accepted", task_id=task.task_id)
        self.emit(item, "running", leaving="submitting", task_id=task.task_id)
        return task.task_id

    def collecting(self, item: BatchItem) -> str:
        assert item.task_id is not None
        self.emit(item, "running", task_id=item.task_id)
        return item.task_id

    def read_failed(self, item: BatchItem, task_id: str, error: HiDreamError | None) -> None:
        detail = "still not final when the wait ended" if error is None else _describe(error)
        if self.stopping and error is None:
            detail = "stopped before the task was final"
        self.emit(item, "waiting", leaving="running", task_id=task_id, detail=detail)

    def ended(self, item: BatchItem, task_id: str, result: TaskResult) -> str | None:
        """The output path to download to, or None when the task ended without an image."""
        if result.status is TaskStatus.SUCCEEDED and result.images:
            return str(self.plan.outdir / (item.output_base + _suffix(result)))
        detail = f"task ended {result.status.name.lower()}"
        self.journal.append(item.key, "failed", task_id=task_id, detail=detail)
        self.emit(item, "failed", leaving="running", task_id=task_id, detail=detail)
        return None

    def may_replace(self, item: BatchItem, target: str) -> bool:
        """Whether the download may replace a file at `target`: --force, or this batch wrote it."""
        return self.plan.overwrite or _same_file(item.output, target)

    def saving(self, item: BatchItem, task_id: str, target: str) -> bool:
        """Check where the output goes (inside OUTDIR, links resolved; no file this batch did not write
        replaced) and record it before writing: a file found there later is then this batch's own."""
        try:
            found = check_target(
                Path(target),
                overwrite=self.may_replace(item, target),
                within=self.plan.outdir,
                field="output",
                how="--force",
            )
            if found.in_place:
                raise InvalidInputError("output", f"{target!r} is a device or FIFO, not a file")
        except InvalidInputError as error:
            self.unsaved(item, task_id, error)
            return False
        self.journal.append(item.key, "saving", task_id=task_id, output=target)
        return True

    def saved(self, item: BatchItem, task_id: str, path: Path) -> None:
        self.journal.append(item.key, "done", task_id=task_id, output=str(path))
        self.emit(item, "done", leaving="running", task_id=task_id, output=str(path))

    def unsaved(self, item: BatchItem, task_id: str, error: Exception) -> None:
        detail = _describe(error)
        self.journal.append(item.key, "unsaved", task_id=task_id, detail=detail)
        self.emit(item, "unsaved", leaving="running", task_id=task_id, detail=detail)

    def delays(self) -> Iterator[float]:
        """The pauses between result reads: 0.5 s, 1, 2… up to poll_interval, until wait_timeout."""
        end = time.monotonic() + self.wait_timeout
        delay = min(0.5, self.poll_interval)
        while (remaining := end - time.monotonic()) > 0:
            yield min(delay, remaining)
            delay = min(delay * 2, self.poll_interval)

    def summary(self) -> BatchSummary:
        return BatchSummary(
            self.snapshot(),
            self.plan.manifest,
            time.monotonic() - self.started,
            self.interrupted,
            tuple(self.problems),
            self.aborted,
        )


def _check_run_options(concurrency: int, wait_timeout: float, poll_interval: float) -> None:
    _checked_options(DEFAULT_RATIO, concurrency, None)
    for name, value, low in (("wait_timeout", wait_timeout, 0.0), ("poll_interval", poll_interval, 0.05)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value < float("inf"):
            raise InvalidInputError(name, f"must be a number of seconds >= {low}, not {value!r}")


def run(
    client: HiDream,
    inputs: Sequence[str | PathLike[str]] | BatchPlan,
    outdir: str | PathLike[str] | None = None,
    *,
    upsale_ratio: int = DEFAULT_RATIO,
    version: str = DEFAULT_VERSION,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_tasks: int | None = None,
    manifest: str | PathLike[str] | None = None,
    resubmit_lost: bool = False,
    resubmit_failed: bool = False,
    overwrite: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_event: OnEvent | None = None,
    stop: StopFlag | None = None,
) -> BatchSummary:
    """Upscale every input into `outdir`; returns how it went (see the module's docstring).

    `inputs`: files, folders (their PNG/JPEG/WebP images, recursively), .txt files of URLs, URLs — or
    a `BatchPlan` from `plan()`. `concurrency`: inputs in progress at once (each a task being submitted,
    waited for or downloaded). `max_tasks`: at most this many submits are sent by this run. `on_event`:
    called (from worker threads) at every change (an exception it raises is counted, not spread).
    `overwrite`: an output may replace a file this batch did not write (never a read-only one). `stop`:
    once set (a `threading.Event`), no new submit starts and waits end; submits already sent get their
    answer recorded first. Any error on one input is recorded against it; no worker dies of it.
    Raises `InvalidInputError` before anything is sent for bad arguments.
    """
    the_plan = _plan_of(
        inputs, outdir, upsale_ratio, version, manifest, max_tasks, resubmit_lost, resubmit_failed, overwrite
    )
    _check_run_options(concurrency, wait_timeout, poll_interval)
    wake = threading.Event()
    with _manifest.Journal(the_plan.manifest) as journal:
        the_plan = _refreshed(the_plan)
        _remove_stale_parts(the_plan.outdir)
        state = _Run(the_plan, journal, on_event, stop, wait_timeout, poll_interval)
        state.report_planned()

        def work() -> None:
            while (item := state.next_item()) is not None:
                _process(client, state, item, wake)

        workers = [
            threading.Thread(target=work, name=f"hidream-batch-{n}", daemon=True) for n in range(concurrency)
        ]
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                while worker.is_alive():
                    try:
                        worker.join(timeout=0.1)  # short joins: the main thread's signal handlers run
                    except KeyboardInterrupt:  # a first Ctrl-C stops; workers record what they sent
                        if state.keyboard_interrupt:
                            raise
                        state.keyboard_interrupt = True
                    if state.stopping:
                        wake.set()  # end the waits between result reads at once
        finally:
            wake.set()
    return state.summary()


def _make_folder(outdir: Path, target: Path) -> None:
    """The output's folder, made only once it is known to stay inside OUTDIR (links resolved)."""
    why = leads_out(outdir, target)
    if why is not None:
        raise InvalidInputError("output", why)
    target.parent.mkdir(parents=True, exist_ok=True)


def _remove_stale_parts(outdir: Path) -> None:
    """Remove the temporary files of downloads a killed run left (`.<output>.<random>.part`, hidden).

    A download writes a temporary file beside its output and renames it whole; only a kill (SIGKILL,
    power loss) leaves one behind. The run holds the manifest's lock, so no other batch is writing.
    """
    for folder, _, names in os.walk(outdir):
        for name in names:
            if name.startswith(".") and name.endswith(".part") and _STALE_PART.fullmatch(name):
                Path(folder, name).unlink(missing_ok=True)


def _plan_of(
    inputs: Sequence[str | PathLike[str]] | BatchPlan,
    outdir: str | PathLike[str] | None,
    upsale_ratio: int,
    version: str,
    manifest: str | PathLike[str] | None,
    max_tasks: int | None,
    resubmit_lost: bool,
    resubmit_failed: bool,
    overwrite: bool,
) -> BatchPlan:
    if isinstance(inputs, BatchPlan):
        return inputs
    if outdir is None:
        raise InvalidInputError("outdir", "required: the folder the upscaled images go to")
    return plan(
        inputs,
        outdir,
        upsale_ratio=upsale_ratio,
        version=version,
        manifest=manifest,
        max_tasks=max_tasks,
        resubmit_lost=resubmit_lost,
        resubmit_failed=resubmit_failed,
        overwrite=overwrite,
    )


def _process(client: HiDream, state: _Run, item: BatchItem, wake: threading.Event) -> None:
    state.begin(item)
    try:
        _process_steps(client, state, item, wake)
    except Exception as error:  # whatever it was: recorded against the input; the worker goes on
        state.crashed(item, error)


def _process_steps(client: HiDream, state: _Run, item: BatchItem, wake: threading.Event) -> None:
    if item.action == SUBMIT:
        if not state.may_submit(item):
            return
        image = state.image(item)
        if image is None:
            return
        state.submitting(item)
        try:
            task = client.upscale.submit(
                image, upsale_ratio=state.plan.upsale_ratio, version=state.plan.version
            )
        except Exception as error:  # whatever it was, the submit was sent: record it
            state.submit_failed(item, error)
            return
        task_id = state.accepted(item, task)
    else:
        task_id = state.collecting(item)
    result: TaskResult | None = None
    try:
        for delay in state.delays():
            result = client.upscale.result(task_id)
            if result.is_final or state.stopping:
                break
            wake.wait(delay)
            if state.stopping:
                break
    except HiDreamError as error:
        state.read_failed(item, task_id, error)
        return
    if result is None or not result.is_final:
        state.read_failed(item, task_id, None)
        return
    target = state.ended(item, task_id, result)
    if target is None:
        return
    try:
        _make_folder(state.plan.outdir, Path(target))
        if not state.saving(item, task_id, target):
            return
        paths = client.upscale.download(
            result, target, overwrite=state.may_replace(item, target), within=state.plan.outdir
        )
    except Exception as error:  # whatever stopped the download: the task is paid, the next run saves it
        state.unsaved(item, task_id, error)
        return
    state.saved(item, task_id, paths[0])


async def arun(
    client: AsyncHiDream,
    inputs: Sequence[str | PathLike[str]] | BatchPlan,
    outdir: str | PathLike[str] | None = None,
    *,
    upsale_ratio: int = DEFAULT_RATIO,
    version: str = DEFAULT_VERSION,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_tasks: int | None = None,
    manifest: str | PathLike[str] | None = None,
    resubmit_lost: bool = False,
    resubmit_failed: bool = False,
    overwrite: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_event: OnEvent | None = None,
    stop: StopFlag | None = None,
) -> BatchSummary:
    """`run` on an `AsyncHiDream` (asyncio or trio). Cancelling it is a stop: a submit already sent is
    shielded until its answer is recorded, so the manifest never loses a task id to a cancellation."""
    the_plan = _plan_of(
        inputs, outdir, upsale_ratio, version, manifest, max_tasks, resubmit_lost, resubmit_failed, overwrite
    )
    _check_run_options(concurrency, wait_timeout, poll_interval)
    with _manifest.Journal(the_plan.manifest) as journal:
        the_plan = _refreshed(the_plan)
        _remove_stale_parts(the_plan.outdir)
        state = _Run(the_plan, journal, on_event, stop, wait_timeout, poll_interval)
        state.report_planned()

        async def work() -> None:
            while (item := state.next_item()) is not None:
                await _aprocess(client, state, item)

        async with create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(work)
    return state.summary()


async def _aprocess(client: AsyncHiDream, state: _Run, item: BatchItem) -> None:
    state.begin(item)
    try:
        await _aprocess_steps(client, state, item)
    except Exception as error:  # as in the sync worker (a cancellation is no Exception: it goes on up)
        state.crashed(item, error)


async def _aprocess_steps(client: AsyncHiDream, state: _Run, item: BatchItem) -> None:
    if item.action == SUBMIT:
        if not state.may_submit(item):
            return
        image = state.image(item)
        if image is None:
            return
        state.submitting(item)
        with CancelScope(shield=True):  # once sent, its answer is recorded whatever happens
            try:
                task = await client.upscale.submit(
                    image, upsale_ratio=state.plan.upsale_ratio, version=state.plan.version
                )
            except Exception as error:  # as in the sync worker
                state.submit_failed(item, error)
                return
            task_id = state.accepted(item, task)
    else:
        task_id = state.collecting(item)
    result: TaskResult | None = None
    try:
        for delay in state.delays():
            result = await client.upscale.result(task_id)
            if result.is_final or state.stopping:
                break
            await anyio_sleep(delay)
            if state.stopping:
                break
    except HiDreamError as error:
        state.read_failed(item, task_id, error)
        return
    if result is None or not result.is_final:
        state.read_failed(item, task_id, None)
        return
    target = state.ended(item, task_id, result)
    if target is None:
        return
    try:
        await to_thread.run_sync(_make_folder, state.plan.outdir, Path(target))
        if not await to_thread.run_sync(state.saving, item, task_id, target):
            return
        paths = await client.upscale.download(
            result, target, overwrite=state.may_replace(item, target), within=state.plan.outdir
        )
    except Exception as error:  # as in the sync worker
        state.unsaved(item, task_id, error)
        return
    state.saved(item, task_id, paths[0])
