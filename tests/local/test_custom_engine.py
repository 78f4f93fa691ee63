"""A user's own engine plugs into the server without touching the HTTP layer."""

from __future__ import annotations

import httpx

from modelslab_local import Engine, EngineAnswer, EngineRequest, EngineToolCall, start_server
from modelslab_transport import ModelsLabClient

MODEL = "baidu-ernie-4.5-vl-28b-a3b"


class EchoEngine:
    """Answers with the last user message reversed, or calls the first tool it is given."""

    name = "echo"

    def __init__(self) -> None:
        self.requests: list[EngineRequest] = []

    def generate(self, request: EngineRequest) -> EngineAnswer:
        self.requests.append(request)
        if request.tools:
            name = request.tools[0]["function"]["name"]
            return EngineAnswer(
                tool_calls=[EngineToolCall(name, '{"city": "Oslo"}')], finish_reason="tool_calls"
            )
        last = request.messages[-1]["content"]
        return EngineAnswer(text=str(last)[::-1])


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def test_custom_engine_answers_in_both_formats_and_streams() -> None:
    engine = EchoEngine()
    assert isinstance(engine, Engine)
    with (
        start_server(engine=engine) as server,
        ModelsLabClient(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        request = {"model": MODEL, "messages": [{"role": "user", "content": "stressed"}]}
        assert client.chat(request)["text"] == "desserts"
        assert client.chat(request, api_format="anthropic")["text"] == "desserts"
        streamed = "".join(d.get("text", "") for d in client.stream_chat(request))
        assert streamed == "desserts"
        called = client.chat({**request, "tools": TOOLS, "tool_choice": "required"})
    assert called["tool_calls"][0]["name"] == "get_weather"
    assert called["tool_calls"][0]["arguments"] == '{"city": "Oslo"}'
    # The engine saw one format-independent request per call, with the wire's details.
    assert len(engine.requests) == 4
    assert engine.requests[-1].tool_choice == "required"


def test_the_server_still_enforces_max_tokens_and_stop_for_any_engine() -> None:
    with start_server(engine=EchoEngine()) as server:
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "one two three four five six seven"}],
            "max_tokens": 2,
        }
        headers = {"Authorization": f"Bearer {server.api_key}"}
        reply = httpx.post(f"{server.base_url}/chat/completions", json=body, headers=headers)
    choice = reply.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert len(choice["message"]["content"]) < len("neves xis evif ruof eerht owt eno")
