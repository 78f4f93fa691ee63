"""Shared constants and helpers for the local server's contract tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

VISION_MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # vision, tools, reasoning
PLAIN_MODEL = "mistralai-mixtral-8x7b-instruct"  # text only, no reasoning
REASONING_TEXT_MODEL = "openai-gpt-oss-120b"  # text only, reasoning

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather at a location.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
MAGIC_TOOL = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Apply a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {
                "input": {"type": "integer", "exclusiveMinimum": -1000, "exclusiveMaximum": 1000}
            },
            "required": ["input"],
        },
    },
}


def chat_body(content: Any = "Hello", model: str = PLAIN_MODEL, **extra: Any) -> dict[str, Any]:
    """A Chat Completions body with one user message."""
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def messages_body(content: Any = "Hello", model: str = PLAIN_MODEL, **extra: Any) -> dict[str, Any]:
    """A Messages body with one user message."""
    return {
        "model": model,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": content}],
        **extra,
    }


def sse_lines(client: httpx.Client, path: str, body: dict[str, Any], **kw: Any) -> list[str]:
    """POST a streaming request and return every non-blank line of the response."""
    with client.stream("POST", path, json=body, **kw) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return [line for line in response.iter_lines() if line]


def data_payloads(lines: list[str]) -> list[Any]:
    """The JSON payloads of ``data:`` lines (``[DONE]`` kept as the string)."""
    out: list[Any] = []
    for line in lines:
        if line.startswith("data: "):
            raw = line[len("data: ") :]
            out.append(raw if raw == "[DONE]" else json.loads(raw))
    return out


def run_pytest(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """A fresh pytest run of ``folder``, as a user's own suite: plugins from entry points only."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-p", "no:cacheprovider", str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=300,
        check=False,
    )
