"""The ``modelslab_script`` pytest fixture: a local ModelsLab server that says what you script.

Installed with the package (a ``pytest11`` entry point), so a test only names the fixture.
It lives outside ``modelslab_local`` so that loading the plugin never imports the local
server: a suite installed without the ``local`` extra loads it and runs as before, and only a
test that asks for the fixture needs the extra (the error then names it)::

    def test_my_agent(modelslab_script):
        modelslab_script.reply("Paris")
        ...  # call ChatModelsLab / ModelsLabLLM: MODELSLAB_BASE_URL and the key are set
        assert modelslab_script.requests[0]["messages"][-1]["content"] == "Capital of France?"

The server runs on loopback for the one test, with the scripted engine
(``modelslab_local.ScriptedEngine``), any model id allowed. What the fixture guarantees:

- Every model talks to the script while the test runs, however and whenever it was built (at
  module level, in a fixture of wider scope, copied, with another base URL or key): the
  transport's request route (``modelslab_transport.route_requests``) sends every request of
  every client to the script with its key. Nothing reaches any other host, so a test can never
  spend money. ``MODELSLAB_BASE_URL`` and ``MODELSLAB_API_KEY`` also point at it.
- Replies queued and never used fail the test, listed. Opt out per test with
  ``@pytest.mark.modelslab_script(assert_all_replies_used=False)``.
- A failing test's report has a section listing the requests the script received.

Nothing is imported until a test asks for the fixture, so the plugin costs nothing to a suite
that does not use it (and needs the ``local`` extra only then).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from ._vcr import modelslab_vcr_config

if TYPE_CHECKING:
    from modelslab_local import ScriptedEngine

__all__ = ["ScriptedServer", "describe_requests", "modelslab_script", "modelslab_vcr_config"]

_MARKER = "modelslab_script"
_OPTIONS = ("assert_all_replies_used",)
_SERVER_KEY = pytest.StashKey["ScriptedServer"]()
_CALL_FAILED = pytest.StashKey[bool]()


class ScriptedServer:
    """What the fixture gives a test: the script to fill and where the server listens.

    Attributes:
        base_url: The API base URL (also in ``MODELSLAB_BASE_URL`` during the test).
        api_key: The key the server accepts (also in ``MODELSLAB_API_KEY``).
        engine: The :class:`~modelslab_local.ScriptedEngine`: ``reply``, ``fail``, ``queue``.
    """

    def __init__(self, base_url: str, api_key: str, engine: ScriptedEngine) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.engine = engine
        self.reply = engine.reply
        self.fail = engine.fail
        self.queue = engine.queue

    @property
    def requests(self) -> list[dict[str, object]]:
        """The JSON bodies the server received, in order."""
        return self.engine.requests

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return self.engine.pending


def describe_requests(requests: list[dict[str, Any]]) -> str:
    """The requests a script received, one block each, readable in a test report."""
    if not requests:
        return "The script received no request."
    blocks = [f"The script received {len(requests)} request(s):"]
    for number, body in enumerate(requests, 1):
        options = {k: v for k, v in body.items() if k not in ("messages", "tools", "system")}
        blocks.append(f"  {number}. {json.dumps(options, ensure_ascii=False)[:200]}")
        system = body.get("system")
        if system:
            blocks.append(f"       system: {_short(system)}")
        for message in body.get("messages") or []:
            if isinstance(message, Mapping):
                role = message.get("role", "?")
                blocks.append(f"       {role}: {_short(message.get('content'))}")
                if message.get("tool_calls"):
                    blocks.append(f"       {role} tool_calls: {_short(message['tool_calls'])}")
        tools = [_tool_name(tool) for tool in body.get("tools") or []]
        if tools:
            blocks.append(f"       tools: {', '.join(tools)}")
    return "\n".join(blocks)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tool_name(tool: Any) -> str:
    if not isinstance(tool, Mapping):
        return "?"
    function = tool.get("function")
    name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
    return str(name)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that sets the fixture's options for one test."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(assert_all_replies_used=True): options of the modelslab_script fixture; "
        "assert_all_replies_used=False lets a test end with scripted replies unused.",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failing test that used the script, add the requests it received to the report."""
    report = yield
    server = item.stash.get(_SERVER_KEY, None)
    if server is not None and report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
        if report.failed:
            report.sections.append(
                ("modelslab_script requests", describe_requests(server.requests))
            )
    return report


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        return {}
    if marker.args or any(name not in _OPTIONS for name in marker.kwargs):
        raise pytest.UsageError(
            f"@pytest.mark.{_MARKER} takes only keyword options: {', '.join(_OPTIONS)}; "
            f"got {marker.args or ''}{marker.kwargs or ''}."
        )
    return dict(marker.kwargs)


@pytest.fixture
def modelslab_script(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[ScriptedServer]:
    """A loopback ModelsLab server answering with the replies the test queues."""
    from pydantic import SecretStr

    from modelslab_local import ScriptedEngine, start_server
    from modelslab_transport import RequestRoute, route_requests

    check_unused = _options(request).get("assert_all_replies_used", True)
    engine = ScriptedEngine()
    with start_server(engine=engine, allow_unknown_models=True) as server:
        monkeypatch.setenv("MODELSLAB_BASE_URL", server.base_url)
        monkeypatch.setenv("MODELSLAB_API_KEY", server.api_key)
        scripted = ScriptedServer(server.base_url, server.api_key, engine)
        request.node.stash[_SERVER_KEY] = scripted
        key = SecretStr(server.api_key)
        route = RequestRoute(server.base_url, key, "the modelslab_script fixture")
        with route_requests(route):
            yield scripted
    unused = engine.unused()
    if check_unused and unused and not request.node.stash.get(_CALL_FAILED, False):
        listed = "\n".join(f"  - {reply.describe()}" for reply in unused)
        pytest.fail(
            f"{len(unused)} scripted repl{'y was' if len(unused) == 1 else 'ies were'} never "
            f"used:\n{listed}\n{describe_requests(engine.requests)}\nIf that is intended, mark "
            f"the test @pytest.mark.{_MARKER}(assert_all_replies_used=False).",
            pytrace=False,
        )
