"""Learning an image's format and size from its bytes, a data URL, or a URL.

Only the headers are parsed (PNG ``IHDR``, JPEG ``SOFn``, GIF screen descriptor, WebP
``VP8``/``VP8L``/``VP8X``). Remote URLs are never fetched: only loopback URLs are, and this
server's own ``/assets`` are read directly.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import struct
from urllib.parse import urlsplit

import httpx

from ._assets import get_asset
from ._engine import ImageInfo

MAX_FETCH_BYTES = 20 * 1024 * 1024
_EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}


def image_size(data: bytes) -> tuple[str | None, int | None, int | None]:
    """Return ``(format, width, height)`` read from image bytes; ``None`` where unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "PNG", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "GIF", width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("WEBP", *_webp_size(data))
    if data[:2] == b"\xff\xd8":
        return ("JPEG", *_jpeg_size(data))
    return None, None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    kind = data[12:16]
    if kind == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None, None


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            at += 1
            continue
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            at += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None, None


def decode_data_url(url: str) -> bytes | None:
    """The bytes of a ``data:<type>;base64,...`` URL, or ``None`` if it is not one."""
    if not url.startswith("data:") or "," not in url:
        return None
    header, payload = url[5:].split(",", 1)
    if not header.endswith(";base64"):
        return payload.encode()
    return decode_base64(payload)


def decode_base64(payload: str) -> bytes | None:
    """Decode base64 image data, or ``None`` when it is not valid base64."""
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def info_from_bytes(message_index: int, data: bytes, source: str = "base64") -> ImageInfo:
    """Describe image bytes."""
    fmt, width, height = image_size(data)
    return ImageInfo(message_index, source, fmt, width, height, len(data))


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def resolve_image(message_index: int, url: str) -> ImageInfo:
    """Describe the image at ``url`` (data URL, this server's asset, loopback URL, or remote).

    Remote (non-loopback) URLs are described from the URL alone, never fetched.
    """
    data = decode_data_url(url)
    if data is not None:
        return info_from_bytes(message_index, data)
    parts = urlsplit(url)
    extension = parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path else ""
    guessed = ImageInfo(message_index, url, _EXTENSIONS.get(extension))
    if not _is_loopback(parts.hostname):
        return guessed
    if parts.path.startswith("/assets/"):
        asset = get_asset(parts.path.removeprefix("/assets/"))
        return info_from_bytes(message_index, asset[0], url) if asset else guessed
    try:
        async with httpx.AsyncClient(timeout=5.0) as http:
            response = await http.get(url)
    except httpx.HTTPError:
        return guessed
    if response.status_code != 200 or len(response.content) > MAX_FETCH_BYTES:
        return guessed
    return info_from_bytes(message_index, response.content, url)
