"""Ending a stream at its end marker, and keeping its connection when that costs no wait.

After ``[DONE]`` (or ``message_stop``) the answer is complete, but the HTTP body may not be:
the connection goes back to the pool only once the body's end has been read. Reading it must
never delay the end of iteration by more than a moment (a server may hold the body open or
keep sending comments), so the drivers read only what has already arrived, or arrives
within :data:`DRAIN_GRACE`, and otherwise close the connection.
"""

from __future__ import annotations

import select

import httpx

from ._constants import DRAIN_GRACE, DRAIN_LIMIT

__all__ = ["DRAIN_GRACE", "DRAIN_LIMIT", "rest_is_buffered"]


def rest_is_buffered(response: httpx.Response, wait: float = 0.0) -> bool:
    """Whether more of ``response``'s body has arrived (within ``wait`` seconds).

    Two places can hold it: the HTTP/1.1 parser's buffer, when the end of the body came in the
    same read as the end marker, and the socket (httpcore hands the response its network
    stream). The parser is reached through httpcore's private attributes: if they ever
    change, the answer comes from the socket alone, and at worst the stream closes its
    connection instead of returning it to the pool: a reconnect, never a longer wait.
    """
    if _parser_has_data(response.stream):
        return True
    network = response.extensions.get("network_stream")
    if network is None:
        return False
    try:
        if wait <= 0:
            return bool(network.get_extra_info("is_readable"))
        sock = network.get_extra_info("socket")
        return bool(sock is not None and select.select([sock], [], [], wait)[0])
    except (OSError, ValueError, TypeError):  # closed, or not a selectable socket
        return False


def _holds_an_event(data: bytes) -> bool:
    """Whether buffered chunked-body bytes make a next parser event without another read.

    The CRLF closing the last chunk is always left over; a chunk-size line must be complete,
    and the final ``0`` chunk needs its closing blank line too.
    """
    rest = data.lstrip(b"\r\n")
    if rest.startswith(b"0\r\n"):
        return b"\r\n\r\n" in rest
    return b"\r\n" in rest


def _parser_has_data(stream: object) -> bool:
    """Whether httpcore's HTTP/1.1 parser under ``stream`` holds bytes not yet delivered.

    httpx wraps httpcore's body stream in a few layers (``_stream``, ``_httpcore_stream``);
    the walk is bounded and gives up on anything unexpected.
    """
    for _ in range(6):
        connection = getattr(stream, "_connection", None)
        state = getattr(connection, "_h11_state", None)
        if state is not None:
            try:
                return _holds_an_event(bytes(state.trailing_data[0]))
            except (AttributeError, TypeError, IndexError):
                return False
        stream = getattr(stream, "_stream", None) or getattr(stream, "_httpcore_stream", None)
        if stream is None:
            return False
    return False
