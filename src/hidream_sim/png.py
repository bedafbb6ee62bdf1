"""The simulator's images: the input's size, and a real PNG of the output's size.

The real service upscales the submitted image; the simulator draws a grey gradient PNG of the size the
upscale would have (input width and height times `upsale_ratio`), so a client can check what it
downloads. The input's size is read from its header (PNG, JPEG, WebP, base64). An image URL cannot be
fetched (the simulator never leaves the machine): it counts as `URL_INPUT_SIZE`. Sides are capped at
`MAX_SIDE` pixels so a large input cannot exhaust the simulator's memory.
"""

from __future__ import annotations

import struct
import zlib

URL_INPUT_SIZE = (16, 16)  # what an image URL "is": the simulator cannot download it
MAX_SIDE = 8192


def input_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG or WebP image, None if its header says neither."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return int(width), int(height)
        at += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width & 0x3FFF), int(height & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def output_size(size: tuple[int, int], ratio: int) -> tuple[int, int]:
    """The upscaled size, each side capped at MAX_SIDE."""
    return tuple(max(1, min(side * ratio, MAX_SIDE)) for side in size)  # type: ignore[return-value]


def png(width: int, height: int) -> bytes:
    """A greyscale PNG of width x height whose rows differ (a gradient): not a blank image."""
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ValueError(f"PNG size {width}x{height} is outside 1..{MAX_SIDE}")
    ramp = bytes(range(256)) * (width // 256 + 2)
    packer = zlib.compressobj(6)
    parts = []
    for y in range(height):
        start = (y * 7) % 256
        parts.append(packer.compress(b"\x00" + ramp[start : start + width]))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG; ValueError if `data` is not one."""
    size = input_size(data) if data.startswith(b"\x89PNG") else None
    if size is None:
        raise ValueError("not a PNG")
    return size
