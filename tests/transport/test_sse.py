"""The incremental SSE decoder: spec vectors, and every way a byte stream can be split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelslab_transport._sse import SSEDecoder, SSEEvent


def decode(*chunks: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in chunks:
        events.extend(decoder.feed(piece))
    events.extend(decoder.flush())
    return events


VECTORS = [
    pytest.param(b"data: a\n\n", [SSEEvent("message", "a")], id="lf"),
    pytest.param(b"data: a\r\n\r\n", [SSEEvent("message", "a")], id="crlf"),
    pytest.param(b"data: a\r\r", [SSEEvent("message", "a")], id="cr"),
    pytest.param(
        b"data: a\r\n\ndata: b\r\r",
        [SSEEvent("message", "a"), SSEEvent("message", "b")],
        id="mixed-line-ends",
    ),
    pytest.param(b"data: one\ndata: two\n\n", [SSEEvent("message", "one\ntwo")], id="multi-line"),
    pytest.param(b": keep-alive\n\ndata: x\n\n", [SSEEvent("message", "x")], id="comment"),
    pytest.param(
        b": OPENROUTER PROCESSING\ndata: x\n: again\n\n",
        [SSEEvent("message", "x")],
        id="comment-inside-event",
    ),
    pytest.param(b"data:nospace\n\n", [SSEEvent("message", "nospace")], id="no-space"),
    pytest.param(
        b"data:  two spaces\n\n", [SSEEvent("message", " two spaces")], id="one-space-off"
    ),
    pytest.param(b"data\n\n", [SSEEvent("message", "")], id="field-without-colon"),
    pytest.param(b"data:\n\n", [SSEEvent("message", "")], id="empty-data"),
    pytest.param(b"event: ping\n\n", [], id="no-data-no-event"),
    pytest.param(b"\n\n\n", [], id="blank-lines"),
    pytest.param(
        b"event: message_start\ndata: {}\n\n", [SSEEvent("message_start", "{}")], id="event-name"
    ),
    pytest.param(
        b"event: a\ndata: 1\n\ndata: 2\n\n",
        [SSEEvent("a", "1"), SSEEvent("message", "2")],
        id="event-name-resets",
    ),
    pytest.param(
        b"id: 7\ndata: x\n\ndata: y\n\n",
        [SSEEvent("message", "x", "7"), SSEEvent("message", "y", "7")],
        id="id-persists",
    ),
    pytest.param(b"id: a\0b\ndata: x\n\n", [SSEEvent("message", "x")], id="id-with-nul-ignored"),
    pytest.param(b"retry: 1500\ndata: x\n\n", [SSEEvent("message", "x", None, 1500)], id="retry"),
    pytest.param(b"retry: soon\ndata: x\n\n", [SSEEvent("message", "x")], id="retry-not-digits"),
    pytest.param(b"unknown: field\ndata: x\n\n", [SSEEvent("message", "x")], id="unknown-field"),
    pytest.param(b"\xef\xbb\xbfdata: bom\n\n", [SSEEvent("message", "bom")], id="leading-bom"),
    pytest.param("data: héllo ✓ 🙂\n\n".encode(), [SSEEvent("message", "héllo ✓ 🙂")], id="utf8"),
    pytest.param(b"data: \xff\n\n", [SSEEvent("message", "\ufffd")], id="invalid-utf8-replaced"),
    pytest.param(b"data: [DONE]\n", [SSEEvent("message", "[DONE]")], id="eof-missing-blank-line"),
    pytest.param(b'data: {"a": tru', [], id="eof-partial-line-discarded"),
    pytest.param(b'data: a\n\ndata: {"cut', [SSEEvent("message", "a")], id="eof-partial-second"),
]


@pytest.mark.parametrize(("raw", "expected"), VECTORS)
def test_vectors_whole(raw: bytes, expected: list[SSEEvent]) -> None:
    assert decode(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), VECTORS)
def test_vectors_split_at_every_boundary(raw: bytes, expected: list[SSEEvent]) -> None:
    for cut in range(1, len(raw)):
        assert decode(raw[:cut], raw[cut:]) == expected, f"split at byte {cut}"


@pytest.mark.parametrize(("raw", "expected"), VECTORS)
def test_vectors_byte_by_byte(raw: bytes, expected: list[SSEEvent]) -> None:
    assert decode(*(raw[i : i + 1] for i in range(len(raw)))) == expected


def test_cr_at_chunk_end_then_lf_is_one_line_break() -> None:
    # "data: a\r" + "\ndata: b\r\n\r\n": the LF after the CR must not make an empty line
    # (which would dispatch "a" alone).
    assert decode(b"data: a\r", b"\ndata: b\r\n\r\n") == [SSEEvent("message", "a\nb")]


def test_cr_at_chunk_end_then_empty_chunk_then_lf() -> None:
    assert decode(b"data: a\r", b"", b"\n\r\n") == [SSEEvent("message", "a")]


def test_split_inside_utf8_character_emits_nothing_early() -> None:
    decoder = SSEDecoder()
    raw = "data: 🙂\n\n".encode()
    assert decoder.feed(raw[:8]) == []  # mid-emoji
    assert decoder.feed(raw[8:]) == [SSEEvent("message", "🙂")]


def test_events_arrive_as_soon_as_their_blank_line_does() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n") == []
    assert decoder.feed(b"\n") == [SSEEvent("message", "1")]
    assert decoder.feed(b"data: 2\n\ndata: 3\n\n") == [
        SSEEvent("message", "2"),
        SSEEvent("message", "3"),
    ]


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",)),
            max_size=8,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["\n", "\r", "\r\n"]),
    st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_any_split_any_line_ending(lines: list[str], eol: str, cuts: list[int]) -> None:
    raw = ("".join(f"data: {line}{eol}" for line in lines) + eol).encode()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert decode(*pieces) == [SSEEvent("message", "\n".join(lines))]
