"""What goes on the wire per request: headers, cookies and auth, own client or the caller's.

Our own httpx client's headers are merged with ours once per kind of call (a fast path); a
caller's client goes through httpx's own per-request merge. Both must send exactly what
httpx would, with each request's own length, and keep cookies and auth working.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from modelslab_transport import AsyncModelsLabClient, ModelsLabClient

from .conftest import BASE, KEY, REQUEST, SSE, Api, completion_body, sse

MakeApi = Callable[..., Api]


def _ok(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/models"):
        return httpx.Response(200, json={"data": [{"id": "m-1"}]})
    if request.url.path.endswith("/messages"):
        content = [{"type": "text", "text": "Hi"}]
        message = {"type": "message", "content": content, "stop_reason": "end_turn"}
        return httpx.Response(200, json=message)
    if b'"stream": true' in request.content or b'"stream":true' in request.content:
        body = sse({"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}]})
        return httpx.Response(200, content=body + b"data: [DONE]\n\n", headers=SSE)
    return httpx.Response(200, json=completion_body())


def _expected(client: ModelsLabClient | AsyncModelsLabClient, sent: httpx.Request) -> Any:
    """The headers httpx's own merge gives for the same call (the slow, general path)."""
    ours = client._config.headers(
        sent.url.path.removeprefix(httpx.URL(BASE).path),
        stream=sent.headers["accept"] == "text/event-stream",
        json_body=bool(sent.content),
    )
    built = client._http.build_request(
        sent.method, sent.url, content=sent.content or None, headers=ours
    )
    return built.headers.multi_items()


async def test_own_client_sends_what_httpx_would_with_each_length(api: MakeApi) -> None:
    facade = api(_ok, default_headers={"X-Team": "search"})
    short = {"model": "m-1", "messages": [{"role": "user", "content": "Hi"}]}
    long = {"model": "m-1", "messages": [{"role": "user", "content": "Hi " * 500}]}
    await facade.chat(short)
    await facade.chat(long)
    await facade.stream(short)
    await facade.call("messages", {"model": "m-1", "messages": [], "max_tokens": 5})
    await facade.call("list_models")
    sent = facade.script.requests
    for request in sent:
        assert request.headers.multi_items() == _expected(facade.client, request)
    lengths = [int(r.headers["content-length"]) for r in sent[:2]]
    assert lengths == [len(sent[0].content), len(sent[1].content)]
    assert lengths[0] < lengths[1]
    assert sent[0].headers["x-team"] == "search"
    assert sent[0].headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in sent[0].headers
    assert sent[3].headers["x-api-key"] == KEY
    assert sent[3].headers["anthropic-version"]
    assert "content-type" not in sent[4].headers  # a GET has no body
    assert sent[2].headers["accept"] == "text/event-stream"


async def test_own_client_sends_back_the_cookies_the_server_set(api: MakeApi) -> None:
    # Load balancers pin sessions with cookies: httpx keeps them, and so must we.
    first = httpx.Response(200, json=completion_body(), headers={"set-cookie": "pin=abc; Path=/"})
    facade = api(first, _ok)
    await facade.chat()
    await facade.chat()
    await facade.stream()
    cookies = [r.headers.get("cookie") for r in facade.script.requests]
    assert cookies == [None, "pin=abc", "pin=abc"]


def _callers_request(seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(request)

    return handler


def _check_callers(seen: list[httpx.Request]) -> None:
    for request in seen:
        assert request.headers["x-proxy-tenant"] == "t-9"  # the caller's client header
        assert request.headers["cookie"] == "sso=1"  # its cookie jar
        assert request.headers["x-signed"] == "yes"  # its auth flow
        assert request.url.params["trace"] == "on"  # its query params
        assert request.headers["authorization"] == f"Bearer {KEY}"  # our auth still wins


def _sign(request: httpx.Request) -> httpx.Request:
    request.headers["X-Signed"] = "yes"
    return request


CALLER_KWARGS: dict[str, Any] = {
    "headers": {"X-Proxy-Tenant": "t-9"},
    "cookies": {"sso": "1"},
    "auth": _sign,
    "params": {"trace": "on"},
}


def test_callers_sync_client_keeps_its_headers_cookies_auth_and_params() -> None:
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(_callers_request(seen))
    with httpx.Client(transport=transport, **CALLER_KWARGS) as http:
        client = ModelsLabClient(KEY, base_url=BASE, http_client=http)
        client.chat(REQUEST)
        with client.stream_chat(REQUEST) as stream:
            list(stream)
        # The caller changes its client between calls: the next request follows.
        http.headers["X-Proxy-Tenant"] = "t-10"
        client.chat(REQUEST)
    _check_callers(seen[:2])
    assert seen[2].headers["x-proxy-tenant"] == "t-10"


async def test_callers_async_client_keeps_its_headers_cookies_auth_and_params() -> None:
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(_callers_request(seen))
    async with httpx.AsyncClient(transport=transport, **CALLER_KWARGS) as http:
        client = AsyncModelsLabClient(KEY, base_url=BASE, http_client=http)
        await client.chat(REQUEST)
        async with await client.stream_chat(REQUEST) as stream:
            [d async for d in stream]
    _check_callers(seen)


@pytest.mark.parametrize("kind", ["sync"])
async def test_a_request_body_is_the_one_built_for_it(api: MakeApi) -> None:
    # The shared header cache must never carry one request's body or length to another.
    facade = api(_ok)
    for n in (1, 50, 3):
        await facade.chat({"model": "m-1", "messages": [{"role": "user", "content": "a" * n}]})
    bodies = [json.loads(r.content)["messages"][0]["content"] for r in facade.script.requests]
    assert bodies == ["a", "a" * 50, "aaa"]


def test_threads_racing_on_a_new_client_all_send_the_key() -> None:
    """The merged headers are published whole: no thread ever sees a half-built set.

    The first calls of a fresh client race to build the cached headers (LangChain's ``batch``
    runs its first calls on many threads at once). A cache entry published before the key was
    merged into it once sent a request with no ``Authorization``. Thread switches are forced
    every microsecond so that the window, if it exists, is hit.
    """
    import sys
    import threading

    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=completion_body())

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(40):
            client = ModelsLabClient(
                KEY, base_url=BASE, transport=httpx.MockTransport(handler), max_concurrency=0
            )
            barrier = threading.Barrier(8)

            def call(client: ModelsLabClient, barrier: threading.Barrier) -> None:
                barrier.wait()
                client.chat(dict(REQUEST))

            threads = [threading.Thread(target=call, args=(client, barrier)) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            client.close()
    finally:
        sys.setswitchinterval(interval)
    assert len(seen) == 320
    assert seen.count(f"Bearer {KEY}") == 320, [h for h in seen if h != f"Bearer {KEY}"][:3]
