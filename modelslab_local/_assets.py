"""Small test images served under ``/assets/<name>``, built in code (no image library).

The PNG is generated with ``zlib``/``struct``; the JPEG, WebP and GIF are tiny fixed files
kept as base64, so image tests have every common format with a known size.
"""

from __future__ import annotations

import base64
import struct
import zlib
from functools import cache

_JPEG_32x24 = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywt"
    "QFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09P"
    "T09PT09PT09PT09PT09PT09PT0//wAARCAAYACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRol"
    "JicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ip"
    "qrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAA"
    "AAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLR"
    "ChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaX"
    "mJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEA"
    "PwDGooorgPrgooooAKKKKACiiigD/9k="
)
_WEBP_20x10 = (
    "UklGRkYAAABXRUJQVlA4IDoAAAAwAwCdASoUAAoAPm0skkWkIqGYBABABsSgC7LoB+AADJ8gAPuO//NgVzXPv9//TSPG"
    "keNI+U/awAAA"
)
_GIF_16x16 = (
    "R0lGODdhEAAQAIEAACgoyAAAAAAAAAAAACwAAAAAEAAQAEAIHQABCBxIsKDBgwgTKlzIsKHDhxAjSpxIsaLFgQEBADs="
)


def make_png(width: int, height: int) -> bytes:
    """A valid RGB PNG with a colour gradient, ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "none"
        for x in range(width):
            rows += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


@cache
def assets() -> dict[str, tuple[bytes, str]]:
    """Every asset by file name: ``(bytes, media type)``."""
    return {
        "image.png": (make_png(64, 48), "image/png"),
        "small.png": (make_png(8, 8), "image/png"),
        "image.jpg": (base64.b64decode(_JPEG_32x24), "image/jpeg"),
        "image.webp": (base64.b64decode(_WEBP_20x10), "image/webp"),
        "image.gif": (base64.b64decode(_GIF_16x16), "image/gif"),
    }


def get_asset(name: str) -> tuple[bytes, str] | None:
    """Return ``(bytes, media type)`` for an asset name, or ``None``."""
    return assets().get(name)
