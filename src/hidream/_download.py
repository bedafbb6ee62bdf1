"""Download an output image to a file: no token sent, bounded in size and time, written atomically.

The image lives on another host (a storage URL the result names), so the request is built from
nothing: no `Authorization`, none of the pool's default headers, cookies or auth; a redirect is
followed by hand (at most `MAX_REDIRECTS`, http(s) only), each hop built anew the same way. The body is
streamed into a temporary file beside the target and put in its place only once it is whole and is a
PNG, JPEG or WebP image; on any failure the temporary file is removed, so there is never a half file.
Where the target may be written is `_paths`' decision: an existing file is replaced only with
`overwrite` (else the whole image is linked into place, so one that appeared meanwhile is kept too), a
device or FIFO is written in place (never renamed over), and `within` keeps every write inside a folder.
The image host unreachable is an `APIConnectionError` (`APITimeoutError`), anything else a
`DownloadError`; either way the task is paid for: the CLI exits 12 and batch records *unsaved*.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from anyio import fail_after, to_thread  # from-imports: see _core

from hidream._core import deadline_scope
from hidream._images import image_format, is_http_url
from hidream._paths import Target, check_target, temp_prefix
from hidream.errors import APIConnectionError, APITimeoutError, DownloadError, HiDreamError, InvalidInputError

MAX_DOWNLOAD_BYTES: Final = 256 * 1024 * 1024
DEFAULT_DOWNLOAD_DEADLINE: Final = 300.0
DOWNLOAD_TIMEOUT: Final = httpx.Timeout(connect=10.0, read=60.0, write=10.0, pool=10.0)
MAX_REDIRECTS: Final = 5
NEW_FILE_MODE: Final = 0o666
"""A new file's mode before the umask takes its bits away (as `open()` would create it)."""
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


def shown(url: str) -> str:
    """The URL as errors and logs show it: without query and fragment (a signed URL's signature)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


@dataclass
class Plan:
    """One download: checked arguments and its clock."""

    url: str
    path: Path
    max_bytes: int
    deadline: float
    started: float = 0.0
    overwrite: bool = True
    within: Path | None = None
    in_place: bool = False

    def recheck(self) -> None:
        """The target checked again just before the image is put there (it may have changed since)."""
        try:
            target = check_target(self.path, overwrite=self.overwrite, within=self.within)
        except InvalidInputError as error:
            raise DownloadError(
                f"{shown(self.url)}: not written: {error.problem}", url=shown(self.url)
            ) from None
        self.in_place = target.in_place

    def remaining(self) -> float:
        return self.deadline - (time.monotonic() - self.started)

    def request(self, url: str) -> httpx.Request:
        left = max(self.remaining(), 0.001)
        timeouts = {
            phase: min(value if value is not None else left, left)
            for phase, value in DOWNLOAD_TIMEOUT.as_dict().items()
        }
        return httpx.Request(
            "GET",
            url,
            headers={"Accept": "image/*", "Accept-Encoding": "identity"},
            extensions={"timeout": timeouts},
        )

    def check_time(self) -> None:
        if self.remaining() <= 0:
            raise self.too_slow()

    def too_slow(self) -> DownloadError:
        return DownloadError(
            f"{shown(self.url)}: not downloaded within {self.deadline:g}s", url=shown(self.url)
        )

    def check_response(self, response: httpx.Response) -> None:
        if not 200 <= response.status_code < 300:
            raise DownloadError(
                f"{shown(self.url)}: HTTP {response.status_code}",
                url=shown(self.url),
                http_status=response.status_code,
            )
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise DownloadError(
                f"{shown(self.url)}: {length} bytes, more than the limit of {self.max_bytes}",
                url=shown(self.url),
                http_status=response.status_code,
            )

    def next_hop(self, response: httpx.Response, hops: int) -> str | None:
        """The redirect's target, None if `response` is not a redirect; refuses too many or non-http(s)."""
        if response.status_code not in _REDIRECTS or "Location" not in response.headers:
            return None
        target = urljoin(str(response.url), response.headers["Location"])
        if hops >= MAX_REDIRECTS or not is_http_url(target):
            raise DownloadError(
                f"{shown(self.url)}: redirected "
                + ("too often" if hops >= MAX_REDIRECTS else f"to a non-http(s) URL {shown(target)!r}"),
                url=shown(self.url),
                http_status=response.status_code,
            )
        return target


def plan(
    url: object,
    path: object,
    max_bytes: object,
    deadline: object,
    *,
    overwrite: bool = True,
    within: str | os.PathLike[str] | None = None,
) -> Plan:
    if not isinstance(url, str) or not is_http_url(url):
        raise InvalidInputError("url", f"{url!r} is not an http(s) URL of an image")
    if not isinstance(path, str | os.PathLike):
        raise InvalidInputError("path", f"must be a file path, not {type(path).__name__}")
    if not isinstance(overwrite, bool):
        raise InvalidInputError("overwrite", f"must be True or False, not {overwrite!r}")
    root = None if within is None else Path(within)
    checked: Target = check_target(Path(path).expanduser(), overwrite=overwrite, within=root)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise InvalidInputError("max_bytes", f"must be an int >= 1, not {max_bytes!r}")
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not deadline > 0:
        raise InvalidInputError("deadline", f"must be a number of seconds > 0, not {deadline!r}")
    return Plan(url, checked.path, max_bytes, float(deadline), 0.0, overwrite, root, checked.in_place)


class _Sink:
    """The temporary file beside the target: counts, checks the first bytes, renames when whole."""

    def __init__(self, plan: Plan, file: IO[bytes], name: str) -> None:
        self._plan = plan
        self.file = file
        self.name = name
        self.size = 0
        self._head = b""

    def take(self, chunk: bytes) -> None:
        self._plan.check_time()
        self.size += len(chunk)
        if self.size > self._plan.max_bytes:
            raise DownloadError(
                f"{shown(self._plan.url)}: more than the limit of {self._plan.max_bytes} bytes",
                url=shown(self._plan.url),
            )
        self.file.write(chunk)
        if len(self._head) < 12:
            self._head = (self._head + chunk)[:12]
            if len(self._head) >= 12:
                self._check_image()

    def _check_image(self) -> None:
        if image_format(self._head) is None:
            raise DownloadError(
                f"{shown(self._plan.url)}: not a PNG, JPEG or WebP image (first bytes {self._head[:8]!r})",
                url=shown(self._plan.url),
            )

    def finish(self) -> None:
        self._check_image()
        self.file.flush()
        os.fsync(self.file.fileno())


def _umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux), else by
    setting and restoring it."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(path: Path) -> int:
    """The mode the written file gets: an existing file's own (a private 0600 file stays private),
    else a new file's, as the umask allows."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return NEW_FILE_MODE & ~_umask()


@contextlib.contextmanager
def _sink(plan: Plan) -> Iterator[_Sink]:
    """A temporary file (beside the target; in the system's temporary folder for a device or FIFO) put
    in the target's place if the block ends well, removed if not."""
    mode = file_mode(plan.path)
    folder = None if plan.in_place else plan.path.parent
    fd, name = tempfile.mkstemp(dir=folder, prefix=temp_prefix(plan.path), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            sink = _Sink(plan, file, name)
            yield sink
            sink.finish()
        plan.recheck()
        if plan.in_place:
            _write_in_place(Path(name), plan.path)
        else:
            Path(name).chmod(mode)
            _put(Path(name), plan)
    finally:
        Path(name).unlink(missing_ok=True)


def _put(temporary: Path, plan: Plan) -> None:
    """Put the whole image at the target: renamed over it when replacing is allowed; else linked there,
    which fails if a file appeared meanwhile (that file is kept)."""
    if plan.overwrite:
        temporary.replace(plan.path)
        return
    try:
        os.link(temporary, plan.path)
    except FileExistsError:
        raise DownloadError(
            f"{shown(plan.url)}: not written: {str(plan.path)!r} appeared meanwhile and is kept",
            url=shown(plan.url),
        ) from None
    except OSError:  # a filesystem without hard links (FAT, some network shares): checked just above
        temporary.replace(plan.path)


def _write_in_place(temporary: Path, target: Path) -> None:
    """Copy the image into a device or FIFO as `cat > target` would: opened without creating or
    truncating (a FIFO without a reader fails at once instead of hanging), checked to be one still."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(target, flags)
    try:
        if stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(0, "it became a regular file meanwhile")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        with temporary.open("rb") as source:
            while chunk := source.read(1024 * 1024):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _transport_failure(plan: Plan, error: httpx.TransportError) -> APIConnectionError:
    where = shown(plan.url)
    if isinstance(error, httpx.TimeoutException):
        phase = type(error).__name__.removesuffix("Timeout").lower()
        return APITimeoutError(
            f"{where}: {phase} timeout", phase=phase, request_sent=phase not in ("connect", "pool")
        )
    return APIConnectionError(f"{where}: {type(error).__name__}: {error}", request_sent=True)


def _unwritable(plan: Plan, error: OSError | ValueError) -> DownloadError:
    why = (error.strerror if isinstance(error, OSError) else None) or f"{type(error).__name__}: {error}"
    return DownloadError(
        f"{shown(plan.url)}: cannot write {str(plan.path)!r} ({why})",
        url=shown(plan.url),
    )


def download(http: httpx.Client, plan: Plan) -> Path:
    plan.started = time.monotonic()
    failure: HiDreamError
    try:
        # The deadline reaches into every socket operation of the client's own pool (a host that
        # drips its headers cannot outlast it); each chunk checks it too, whatever the pool.
        with deadline_scope(plan.started + plan.deadline):
            return _download(http, plan)
    except HiDreamError:
        raise
    except httpx.TransportError as error:
        failure = plan.too_slow() if plan.remaining() <= 0.01 else _transport_failure(plan, error)
    except (OSError, ValueError) as error:  # ValueError: a name the system refuses (a NUL in it)
        failure = _unwritable(plan, error)
    raise failure  # outside the handler: the transport's frames are not chained


def _download(http: httpx.Client, plan: Plan) -> Path:
    url = plan.url
    for hops in range(MAX_REDIRECTS + 1):
        plan.check_time()
        # send(), not request(): the pool's default headers, cookies and auth stay out of it.
        response = http.send(plan.request(url), stream=True, auth=None, follow_redirects=False)
        try:
            target = plan.next_hop(response, hops)
            if target is None:
                plan.check_response(response)
                with _sink(plan) as sink:
                    for chunk in response.iter_bytes():
                        sink.take(chunk)
                return plan.path
        finally:
            response.close()
        url = target
    raise AssertionError("unreachable: next_hop refuses the hop after MAX_REDIRECTS")  # pragma: no cover


async def adownload(http: httpx.AsyncClient, plan: Plan) -> Path:
    plan.started = time.monotonic()
    failure: HiDreamError
    try:
        with fail_after(plan.deadline):  # cancels the download wherever it waits
            return await _adownload(http, plan)
    except TimeoutError:
        failure = plan.too_slow()
    except HiDreamError:
        raise
    except httpx.TransportError as error:
        failure = plan.too_slow() if plan.remaining() <= 0.01 else _transport_failure(plan, error)
    except (OSError, ValueError) as error:  # ValueError: a name the system refuses (a NUL in it)
        failure = _unwritable(plan, error)
    raise failure


async def _adownload(http: httpx.AsyncClient, plan: Plan) -> Path:
    url = plan.url
    for hops in range(MAX_REDIRECTS + 1):
        plan.check_time()
        response = await http.send(plan.request(url), stream=True, auth=None, follow_redirects=False)
        try:
            target = plan.next_hop(response, hops)
            if target is None:
                plan.check_response(response)
                with _sink(plan) as sink:
                    async for chunk in response.aiter_bytes():
                        await to_thread.run_sync(sink.take, chunk)  # file writes off the event loop
                return plan.path
        finally:
            await response.aclose()
        url = target
    raise AssertionError("unreachable: next_hop refuses the hop after MAX_REDIRECTS")  # pragma: no cover


def numbered(path: Path, count: int) -> list[Path]:
    """Where `count` images go: `path` itself for one, else `name-1.ext`, `name-2.ext`…"""
    if count == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{index}{path.suffix}") for index in range(1, count + 1)]
