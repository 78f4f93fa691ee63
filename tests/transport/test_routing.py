"""The request route: while installed, every client's requests go to it, with its key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

import modelslab_transport as mt
from modelslab_local import ScriptedEngine, start_server

REQUEST: mt.ChatRequest = {"model": "any-model", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def servers() -> Iterator[tuple[str, ScriptedEngine, str, ScriptedEngine]]:
    """A stand-in for the real API (``elsewhere``) and the route's server (``double``)."""
    elsewhere, double = ScriptedEngine(), ScriptedEngine()
    with (
        start_server(engine=elsewhere, allow_unknown_models=True, api_key="shell-key") as a,
        start_server(engine=double, allow_unknown_models=True, api_key="double-key") as b,
    ):
        yield a.base_url, elsewhere, b.base_url, double


def test_clients_built_before_and_after_the_route_all_follow_it(
    servers: tuple[str, ScriptedEngine, str, ScriptedEngine],
) -> None:
    shell_url, elsewhere, double_url, double = servers
    double.reply("sync").reply("caller's client").reply("async").reply("stream").reply("new")
    before = mt.ModelsLabClient("shell-key", base_url=shell_url, max_retries=0)
    theirs = httpx.Client(base_url=shell_url)
    caller = mt.ModelsLabClient("shell-key", base_url=shell_url, http_client=theirs)
    route = mt.RequestRoute(double_url, SecretStr("double-key"), "this test")
    with theirs, mt.route_requests(route) as active:
        assert mt.active_route() is active
        assert before.chat(REQUEST)["text"] == "sync"
        assert caller.chat(REQUEST)["text"] == "caller's client"

        async def asynchronous() -> str:
            async with mt.AsyncModelsLabClient("shell-key", base_url=shell_url) as client:
                return str((await client.chat(REQUEST))["text"])

        assert asyncio.run(asynchronous()) == "async"
        with before.stream_chat(REQUEST) as stream:
            assert "".join(d.get("text", "") for d in stream) == "stream"
        assert mt.ModelsLabClient("other", base_url=shell_url).chat(REQUEST)["text"] == "new"
    assert elsewhere.requests == []
    assert len(double.requests) == 5
    assert mt.active_route() is None
    elsewhere.reply("after the route")
    assert before.chat(REQUEST)["text"] == "after the route"  # the client's own URL again


def test_routes_do_not_nest_and_need_an_absolute_url() -> None:
    first = mt.RequestRoute("http://127.0.0.1:1/api/v7/llm", SecretStr("k"), "the first")
    with mt.route_requests(first):
        second = mt.RequestRoute("http://127.0.0.1:2/api/v7/llm", SecretStr("k"), "the second")
        with (
            pytest.raises(mt.ConfigurationError, match=r"already routed .* by the first"),
            mt.route_requests(second),
        ):
            pass
    with pytest.raises(mt.ConfigurationError, match="absolute http"):
        mt.RequestRoute("127.0.0.1:1/api", SecretStr("k"))
    assert "api_key" not in repr(first)
