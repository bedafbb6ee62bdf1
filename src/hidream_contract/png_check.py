"""A screenshot is a PNG of the expected size with something drawn on it (standard library only).

`python -m hidream_contract.png_check FILE WIDTH HEIGHT` exits 1, saying why, when FILE is not a PNG, has
another size, or is blank. "Blank" is judged on the decompressed scanlines: a page of one colour has
identical scanlines, a page with text and boxes has hundreds of different ones. It does not unfilter
pixels (too slow in pure Python for a tall page); a person looks at the picture, this only guards.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_DISTINCT_ROWS = 100
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def problems(data: bytes, width: int, height: int) -> list[str]:
    if not data.startswith(SIGNATURE):
        return ["not a PNG file (no PNG signature)"]
    pos, idat, header = len(SIGNATURE), bytearray(), b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if len(header) < 13:
        return ["PNG has no IHDR chunk"]
    got_w, got_h, depth, colour = struct.unpack(">IIBB", header[:10])
    if (got_w, got_h) != (width, height):
        return [f"PNG is {got_w}x{got_h}, expected {width}x{height}"]
    if depth != 8 or colour not in _CHANNELS:
        return [f"unexpected PNG format (bit depth {depth}, colour type {colour})"]
    raw = zlib.decompress(bytes(idat))
    stride = 1 + got_w * _CHANNELS[colour]
    if len(raw) != stride * got_h:
        return [f"PNG pixel data has {len(raw)} bytes, expected {stride * got_h}"]
    rows = {raw[i : i + stride] for i in range(0, len(raw), stride)}
    if len(rows) < MIN_DISTINCT_ROWS:
        return [f"PNG looks blank: only {len(rows)} distinct scanlines (expected >= {MIN_DISTINCT_ROWS})"]
    return []


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m hidream_contract.png_check FILE WIDTH HEIGHT")
        return 2
    path = Path(argv[0])
    if not path.is_file():
        print(f"error: no screenshot at {path}")
        return 1
    found = problems(path.read_bytes(), int(argv[1]), int(argv[2]))
    if found:
        print(f"error: {path}: " + "; ".join(found))
        return 1
    print(f"{path}: a {argv[1]}x{argv[2]} PNG with content")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
