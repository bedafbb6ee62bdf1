"""Every path the tools write — an output image, its temporary file, the batch manifest — is decided here.

The rules, one place for `download`, `hidream-upscale submit/result -o` and `batch` (issue 28):

- **Inside the folder named.** With `within=ROOT`, a target must lie inside ROOT once links are
  resolved: a `..`, an absolute part or a link (a folder or a dangling file link) that leads out is
  refused, naming the link.
- **Not a regular file: in place or refused.** A character device (`/dev/null`, `/dev/full`) or a FIFO is
  written in place, never renamed over (root may rename over a device node); a block device, a socket
  or a directory is refused.
- **Nothing the tool did not create is destroyed.** An existing file (or link) is replaced only when the
  caller says so (`overwrite`); a read-only file (no write bit for its owner) is refused even then, as
  `cp` refuses it.
- **Names are made safe before anything is paid for** (`safe_component`): control characters, NUL,
  slashes and lone surrogates become `_`, and a name is cut to `MAX_STEM_BYTES` bytes of UTF-8 so the
  output and its temporary file (`.<name>.<random>.part`) fit the 255-byte limit of a file name.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hidream.errors import InvalidInputError

MAX_NAME_BYTES: Final = 255
"""The longest file name (one path component) in bytes on Linux, macOS and Windows filesystems."""
MAX_STEM_BYTES: Final = 200
"""A name made here: room left for `_x4-1f2e3d4c.jpeg` and the temporary file's `.`, `.<random>.part`."""
TEMP_SUFFIX: Final = ".part"
_TEMP_EXTRA: Final = len(".") + len(".") + 8 + len(TEMP_SUFFIX)  # `.NAME.` + mkstemp's 8 + `.part`

# What a name never keeps: C0 and C1 controls, DEL, the line and paragraph separators, the bidi
# controls (a name that reads backwards), the path separators.
_CONTROLS: Final = (*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), "\u2028", "\u2029")
_BIDI: Final = (*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f")
_UNSAFE: Final = frozenset((*_CONTROLS, *_BIDI, "\ufeff", "/", "\\"))


def fit_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, never inside a character."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def safe_component(text: str, limit: int = MAX_STEM_BYTES) -> str:
    """One path component made from untrusted text (a URL's or a file's name): every unsafe character
    (see `_UNSAFE`, and lone surrogates) becomes `_`, then cut to `limit` bytes; never empty, `.` or `..`."""
    safe = "".join("_" if char in _UNSAFE or 0xD800 <= ord(char) <= 0xDFFF else char for char in text).strip()
    safe = fit_bytes(safe, limit).rstrip() or "_"
    return "_" if safe in (".", "..") else safe


def safe_relative(text: str, limit: int = MAX_STEM_BYTES) -> str:
    """A relative path (`/`-separated) whose every part is `safe_component`; never leads up or out."""
    parts = [safe_component(part, limit) for part in text.split("/") if part not in ("", ".")]
    return "/".join(part if part != ".." else "_" for part in parts) or "_"


def temp_prefix(target: Path) -> str:
    """The temporary file's prefix beside `target`: `.<name>.`, the name cut so the whole fits."""
    return f".{fit_bytes(target.name, MAX_NAME_BYTES - _TEMP_EXTRA)}."


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "a file"


def leads_out(root: Path, target: Path | str) -> str | None:
    """Why `target` would not be written inside `root` once links are resolved (naming the link that
    leads out, if one does), else None. The last part of `target` is not followed: a link there is
    never written through (see `check_target`). A `str` target is never made a Path: pathlib interns
    every name it parses (`sys.intern`), and a batch checks thousands of names it never writes."""
    if isinstance(target, str):
        name, parent = os.path.basename(target), Path(os.path.dirname(target))  # noqa: PTH119, PTH120
    else:
        name, parent = target.name, target.parent
    if name in ("", ".", ".."):
        return f"{str(target)!r} is not a file name"
    base = root.resolve()
    if parent.resolve().is_relative_to(base):
        return None
    for folder in (parent, *parent.parents):
        if folder.is_symlink():
            return (
                f"{str(target)!r} leads out of {str(root)!r}: {str(folder)!r} is a link to "
                f"{str(folder.resolve())!r}"
            )
    return f"{str(target)!r} leads out of {str(root)!r}"


@dataclass(frozen=True)
class Target:
    """A checked place to write: `path`; `in_place`: a device or FIFO, written through, never renamed
    over; `exists`: a file (or link) is there now (replaced only because the caller allowed it)."""

    path: Path
    in_place: bool = False
    exists: bool = False


def check_target(
    path: Path,
    *,
    overwrite: bool,
    within: Path | None = None,
    field: str = "path",
    how: str = "overwrite=True",
) -> Target:
    """Whether `path` may be written, by the rules of the module; raises `InvalidInputError` naming why not.

    `how` is what the message tells the user to pass to replace an existing file (`--force` in the CLI).
    """
    if "\0" in str(path):
        raise InvalidInputError(field, f"{str(path)!r} holds a NUL character, which no file name may")
    if within is not None:
        why = leads_out(within, path)
        if why is not None:
            raise InvalidInputError(field, why)
    if len(path.name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise InvalidInputError(field, f"the file name is longer than {MAX_NAME_BYTES} bytes")
    if not path.parent.is_dir():
        raise InvalidInputError(field, f"the folder {str(path.parent)!r} does not exist")
    try:
        info = path.lstat()
    except FileNotFoundError:
        return Target(path)
    except OSError as error:
        raise InvalidInputError(field, f"{str(path)!r} cannot be checked: {error.strerror}") from None
    mode = info.st_mode
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target(path, in_place=True, exists=True)
    if stat.S_ISLNK(mode):
        if not overwrite:
            raise InvalidInputError(
                field,
                f"{str(path)!r} is a symbolic link, not written through (pass {how} to replace the link)",
            )
        return Target(path, exists=True)
    if not stat.S_ISREG(mode):
        raise InvalidInputError(field, f"{str(path)!r} is {_kind(mode)}; give a file name")
    if not mode & stat.S_IWUSR:
        raise InvalidInputError(
            field, f"{str(path)!r} is read-only; it is kept (make it writable or remove it)"
        )
    if not overwrite:
        raise InvalidInputError(field, f"{str(path)!r} exists and is kept (pass {how} to replace it)")
    return Target(path, exists=True)


def check_manifest(path: Path, *, within: Path | None = None) -> None:
    """A manifest may be read and appended to: absent, or a regular file (not a link, device or FIFO),
    inside `within` (the default manifest's OUTDIR) when given. Its content is checked by the reader."""
    if within is not None:
        why = leads_out(within, path)
        if why is not None:
            raise InvalidInputError("manifest", why)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise InvalidInputError("manifest", f"{str(path)!r} cannot be checked: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInputError(
            "manifest", f"{str(path)!r} is {_kind(info.st_mode)}, not a batch manifest; give a file name"
        )
