"""Minimal, fast OpenAI-compatible chat server for the benchmark.

Runs in its own process so that its CPU never counts against the client being measured.
It does as little as possible per request: it answers ``POST .../chat/completions`` on
HTTP/1.1 keep-alive connections with pre-encoded bytes, and accepts any API key.

* Non-streaming: one canned ``chat.completion`` JSON body.
* Streaming (``"stream": true`` in the body): ``N`` content chunks, a usage chunk and
  ``data: [DONE]``, each event its own HTTP chunk, the whole response written at once.
  ``N`` comes from the prompt: a message text starting with ``n=<N>`` asks for ``N`` chunks,
  anything else gets the ``--chunks`` default. Responses are cached per ``N``.

Usage: ``python -m bench.server [--port 0] [--chunks 200]``; it prints ``PORT <n>`` on
stdout once it listens and serves until killed or its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_COUNT_RE = re.compile(rb'"n=(\d+)')
_MAX_CHUNKS = 100_000
_REPLY = "Hello! This is a canned benchmark answer."
_USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}


def _http(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(head).encode() + body


def completion_response() -> bytes:
    """Return the full HTTP response for a non-streaming chat completion."""
    body = json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": _REPLY},
                    "finish_reason": "stop",
                }
            ],
            "usage": _USAGE,
        }
    ).encode()
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    return _http("200 OK", headers, body)


def _chunk(delta: dict[str, str], finish: str | None) -> dict[str, object]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "bench",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def stream_events(n: int) -> list[bytes]:
    """Return the SSE events of an ``n``-chunk stream (usage chunk and ``[DONE]`` included)."""
    events = []
    for i in range(n):
        delta = {"role": "assistant", "content": "tok"} if i == 0 else {"content": " tok"}
        events.append(_chunk(delta, "stop" if i == n - 1 else None))
    usage = dict(_chunk({}, None), choices=[], usage=_USAGE)
    lines = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in [*events, usage]]
    return [*lines, b"data: [DONE]\n\n"]


def stream_response(n: int) -> bytes:
    """Return the full chunked HTTP response for an ``n``-chunk stream."""
    body = b"".join(b"%x\r\n%b\r\n" % (len(e), e) for e in stream_events(n)) + b"0\r\n\r\n"
    headers = [
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        ("transfer-encoding", "chunked"),
    ]
    return _http("200 OK", headers, body)


_NOT_FOUND = _http("404 Not Found", [("content-length", "0")], b"")


class _Protocol(asyncio.Protocol):
    """One keep-alive connection: parse request heads and bodies, answer with cached bytes."""

    def __init__(self, default_chunks: int, cache: dict[int, bytes], plain: bytes) -> None:
        self._default = default_chunks
        self._cache = cache
        self._plain = plain
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while self._serve_one():
            pass

    def _serve_one(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0 or self._transport is None:
            return False
        head = self._buf[:end].lower()
        length = 0
        pos = head.find(b"\r\ncontent-length:")
        if pos >= 0:
            stop = head.find(b"\r\n", pos + 2)
            length = int(head[pos + 17 : stop if stop >= 0 else None])
        total = end + 4 + length
        if len(self._buf) < total:
            return False
        body = self._buf[end + 4 : total]
        self._buf = self._buf[total:]
        self._transport.write(self._respond(head, body))
        return True

    def _respond(self, head: bytes, body: bytes) -> bytes:
        line = head[: head.find(b"\r\n")]
        if not line.startswith(b"post ") or b"/chat/completions" not in line:
            return _NOT_FOUND
        if not _STREAM_RE.search(body):
            return self._plain
        match = _COUNT_RE.search(body)
        n = min(int(match.group(1)), _MAX_CHUNKS) if match else self._default
        if n not in self._cache:
            self._cache[n] = stream_response(max(n, 1))
        return self._cache[n]


async def serve(port: int, chunks: int) -> None:
    """Listen on loopback and serve until stdin closes (the parent process went away)."""
    loop = asyncio.get_running_loop()
    cache: dict[int, bytes] = {}
    plain = completion_response()
    server = await loop.create_server(
        lambda: _Protocol(chunks, cache, plain), "127.0.0.1", port, backlog=2048
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    # Reading stdin to EOF ties the server's life to the parent's pipe.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class ServerProcess:
    """The server in a child process; a context manager that starts it and stops it."""

    def __init__(self, chunks: int = 200) -> None:
        self._chunks = chunks
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The root that clients append ``/chat/completions`` to."""
        return f"{self.url}/api/v7/llm"

    def __enter__(self) -> ServerProcess:
        cmd = [sys.executable, "-m", "bench.server", "--chunks", str(self._chunks)]
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self.__exit__()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.chunks))


if __name__ == "__main__":
    main()
