"""A long SSE line arriving in small chunks costs time linear in its length.

Measured as a ratio between two sizes in the same process, not against a clock: linear work
grows about 8x from 1 MiB to 8 MiB, quadratic work (joining the pending line to every new
chunk) about 64x. The bound sits far from both.
"""

from __future__ import annotations

import time

from modelslab_transport._stream import StreamParser

CHUNK = 16 * 1024


def _cpu_seconds(size: int) -> float:
    body = b'data: {"choices":[{"index":0,"delta":{"content":"' + b"a" * size + b'"}}]}\n\n'
    best = float("inf")
    for _ in range(3):
        parser = StreamParser("openai")
        started = time.process_time()
        deltas = [d for i in range(0, len(body), CHUNK) for d in parser.feed(body[i : i + CHUNK])]
        best = min(best, time.process_time() - started)
        assert len(deltas) == 1
        assert len(deltas[0]["text"]) == size
    return max(best, 1e-4)


def test_a_long_line_in_small_chunks_is_linear_work() -> None:
    small, large = _cpu_seconds(1 << 20), _cpu_seconds(8 << 20)
    assert large / small < 24, f"1 MiB: {small:.4f} s, 8 MiB: {large:.4f} s"
