"""The screenshot guard of scripts/docs-browser tells a drawn page from a blank or wrong file."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

from hidream_contract import png_check


def png(width: int, height: int, row: Callable[[int], bytes]) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row(y) for y in range(height))
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return png_check.SIGNATURE + chunks


def drawn(y: int) -> bytes:
    return bytes((y * 7 + x) % 256 for x in range(3 * 40))


def blank(_y: int) -> bytes:
    return b"\xff" * (3 * 40)


def test_a_drawn_page_passes() -> None:
    assert png_check.problems(png(40, 200, drawn), 40, 200) == []


def test_a_blank_page_fails() -> None:
    assert png_check.problems(png(40, 200, blank), 40, 200) == [
        "PNG looks blank: only 1 distinct scanlines (expected >= 100)"
    ]


def test_the_wrong_size_fails() -> None:
    assert png_check.problems(png(40, 200, drawn), 40, 300) == ["PNG is 40x200, expected 40x300"]


def test_not_a_png_fails() -> None:
    assert png_check.problems(b"<html>", 40, 200) == ["not a PNG file (no PNG signature)"]
