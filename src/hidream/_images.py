"""Turn what a user has — a URL, a file, bytes, base64 text — into the `image` string the API takes.

The API accepts a URL it fetches itself or the image's base64 value. Local content is checked before
it is sent: it must be PNG, JPEG or WebP (recognised by its first bytes, whatever the file is called)
and at most MAX_IMAGE_BYTES. The provider documents no size limit; 10 MiB is ours, so that a mistake
(a video, a RAW file) fails here instead of as a large upload the service may refuse.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from hidream.errors import InvalidInputError

MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
FORMATS: Final = ("PNG", "JPEG", "WebP")
ImageInput = str | bytes | bytearray | memoryview | os.PathLike[str]

_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_WHITESPACE = re.compile(r"\s+")
_DATA_URI = re.compile(r"data:image/[\w.+-]+;base64,(?P<data>.*)", re.DOTALL | re.IGNORECASE)
_OTHER_FORMATS: Final = (
    (b"GIF8", "a GIF"),
    (b"BM", "a BMP"),
    (b"II*\0", "a TIFF"),
    (b"MM\0*", "a TIFF"),
    (b"%PDF", "a PDF"),
)
_FILE_KINDS: Final[tuple[tuple[Callable[[int], bool], str], ...]] = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def image_format(data: bytes) -> str | None:
    """PNG, JPEG or WebP by magic bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _checked(data: bytes, source: str, *, max_bytes: int) -> bytes:
    if not data:
        raise InvalidInputError("image", f"{source} is empty")
    if len(data) > max_bytes:
        raise InvalidInputError(
            "image", f"{source} has {len(data)} bytes, more than the limit of {max_bytes}"
        )
    if image_format(data) is None:
        # Its bytes are not quoted: a file picked by mistake may hold a secret (a token file, say).
        raise InvalidInputError(
            "image", f"{source} is not a PNG, JPEG or WebP image ({_looks_like(data)})", allowed=FORMATS
        )
    return data


def _looks_like(data: bytes) -> str:
    for magic, name in _OTHER_FORMATS:
        if data.startswith(magic):
            return f"it looks like {name}"
    head = data[:64]
    if all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head):
        return "it looks like text"
    return "its first bytes match no image format"


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kind(mode: int) -> str:
    for test, name in _FILE_KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_image_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, never reading more than `max_bytes + 1`.

    A FIFO, a device or a directory (also behind a symlink) is refused before a byte is read: it is
    opened non-blocking (so opening a FIFO cannot hang) and what was opened is checked. `st_size` is not
    trusted (0 for a FIFO, /dev/zero or a /proc file): the limit is enforced by the read itself.
    """
    name = str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(descriptor, "rb") as file:
            kind = os.fstat(file.fileno()).st_mode
            if not stat.S_ISREG(kind):
                raise InvalidInputError(
                    "image", f"cannot read file {name!r}: it is {_kind(kind)}, not a regular file"
                )
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise InvalidInputError("image", f"cannot read file {name!r}: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise InvalidInputError("image", f"file {name!r} has more than the limit of {max_bytes} bytes")
    return data


def _from_file(path: Path, *, max_bytes: int) -> str:
    data = read_image_file(path, max_bytes=max_bytes)
    return _encode(_checked(data, f"file {str(path)!r}", max_bytes=max_bytes))


def _from_base64(text: str, *, max_bytes: int) -> str | None:
    """The normalised base64 text if `text` is base64 of an accepted image, else None (not base64 at all)."""
    compact = _WHITESPACE.sub("", text)
    if not compact or len(compact) % 4 or not _BASE64_TEXT.fullmatch(compact):
        return None
    if len(compact) // 4 * 3 > max_bytes + 2:  # refuse before decoding
        raise InvalidInputError("image", f"base64 text decodes to more than the limit of {max_bytes} bytes")
    try:
        data = base64.b64decode(compact, validate=True)
    except binascii.Error:  # pragma: no cover - the pattern above already ruled this out
        return None
    _checked(data, "base64 text", max_bytes=max_bytes)
    return compact


def prepare_image(image: ImageInput, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The value to send as `image`: a URL unchanged, anything local as checked base64.

    A str is tried, in order, as an http(s) URL, a `data:image/...;base64,` URI, an existing file,
    then base64 text; anything else is refused with the reason.
    """
    if isinstance(image, bytes | bytearray | memoryview):
        return _encode(_checked(bytes(image), "the image bytes", max_bytes=max_bytes))
    if isinstance(image, os.PathLike):
        return _from_file(Path(image), max_bytes=max_bytes)
    if not isinstance(image, str):
        raise InvalidInputError(
            "image", f"must be a URL, a path, bytes or base64 text, not {type(image).__name__}"
        )
    text = image.strip()
    if not text:
        raise InvalidInputError("image", "is empty")
    if text.lower().startswith(("http://", "https://")):
        if not is_http_url(text):
            raise InvalidInputError("image", f"{_short(text)!r} is not a valid http(s) URL (no host)")
        return text
    data_uri = _DATA_URI.fullmatch(text)
    if data_uri:
        encoded = _from_base64(data_uri["data"], max_bytes=max_bytes)
        if encoded is None:
            raise InvalidInputError("image", "the data: URI does not hold valid base64")
        return encoded
    if _is_file(text):
        return _from_file(Path(text).expanduser(), max_bytes=max_bytes)
    encoded = _from_base64(text, max_bytes=max_bytes)
    if encoded is None:
        raise InvalidInputError(
            "image",
            f"{_short(text)!r} is neither an http(s) URL, an existing file, nor base64 text of an image",
        )
    return encoded


def _is_file(text: str) -> bool:
    """Whether `text` names something on disk (a FIFO or a device too: reading it is then refused by name)."""
    try:
        return Path(text).expanduser().exists()
    except (OSError, RuntimeError, ValueError):  # a name too long, an unknown ~user, a NUL
        return False


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
