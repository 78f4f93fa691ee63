"""Record and replay HTTP exchanges as vcrpy cassettes, with the API key scrubbed.

Record and replay are two ``httpx.BaseTransport`` s: the check's client is built on one of
them, so nothing is patched. The files are vcrpy's YAML cassette format (``version: 1``,
``interactions`` of ``request`` / ``response``), so ``pytest-recording`` (``@pytest.mark.vcr``)
and ``langchain-tests`` replay them too. PyYAML comes with vcrpy: the ``record`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from .._errors import ConfigurationError

__all__ = [
    "SCRUBBED",
    "SECRET_HEADERS",
    "CassetteRecorder",
    "CassetteReplayer",
    "scrub_text",
]

SCRUBBED = "<MODELSLAB_API_KEY>"
"""What stands in a recording wherever the key was."""

SECRET_HEADERS = ("authorization", "x-api-key", "key")
"""Request headers that carry the key (§2 of docs/modelslab-api.md): always rewritten."""

# Set by the transport when it read a compressed body: the stored body is the decoded one.
_DROPPED_RESPONSE_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
_RECORD_EXTRA = 'pip install "modelslab-integrations[record]"'


def _yaml() -> Any:
    """Import PyYAML (vcrpy's serializer) or say which extra brings it."""
    try:
        import vcr  # type: ignore[import-untyped]  # noqa: F401  (the extra's anchor: cassettes are for vcrpy)
        import yaml  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigurationError(
            f"Recording and replaying cassettes needs vcrpy: {_RECORD_EXTRA}"
        ) from exc
    return yaml


def scrub_text(text: str, secret: str) -> str:
    """Replace every occurrence of ``secret`` in ``text`` (a no-op for an empty secret)."""
    return text.replace(secret, SCRUBBED) if secret else text


def _scrub_headers(headers: httpx.Headers, secret: str, *, request: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        lower = name.lower()
        if not request and lower in _DROPPED_RESPONSE_HEADERS:
            continue
        if request and lower in SECRET_HEADERS:
            value = "Bearer " + SCRUBBED if lower == "authorization" else SCRUBBED
        out.setdefault(name, []).append(scrub_text(value, secret))
    return out


def _body(data: bytes, secret: str) -> str | bytes | None:
    """The scrubbed body: text when it is UTF-8 (JSON, SSE), else bytes (YAML ``!!binary``)."""
    if secret:
        data = data.replace(secret.encode("utf-8"), SCRUBBED.encode("ascii"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _interaction(request: httpx.Request, response: httpx.Response, secret: str) -> dict[str, Any]:
    return {
        "request": {
            "body": _body(request.content, secret) or None,
            "headers": _scrub_headers(request.headers, secret, request=True),
            "method": request.method,
            "uri": scrub_text(str(request.url), secret),
        },
        "response": {
            "body": {"string": _body(response.content, secret)},
            "headers": _scrub_headers(response.headers, secret, request=False),
            "status": {"code": response.status_code, "message": response.reason_phrase},
        },
    }


class CassetteRecorder(httpx.BaseTransport):
    """Send through ``inner`` and keep each exchange, scrubbed, for the current cassette.

    Bodies are read whole before the caller sees them (a stream arrives at once); the
    recorded and returned responses carry the decoded body, so replays need no decoder.
    """

    def __init__(self, directory: Path, secret: str, inner: httpx.BaseTransport | None = None):
        self._yaml = _yaml()
        self._dir = directory
        self._secret = secret
        self._inner = inner or httpx.HTTPTransport()
        self._name: str | None = None
        self._interactions: list[dict[str, Any]] = []
        directory.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> None:
        """Begin the cassette ``name`` (the previous one is written first)."""
        self.flush()
        self._name = name
        self._interactions = []

    def flush(self) -> None:
        """Write the current cassette, if any exchange was made."""
        if self._name is None or not self._interactions:
            return
        data = {"interactions": self._interactions, "version": 1}
        path = self._dir / f"{self._name}.yaml"
        path.write_text(self._yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        self._interactions = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, record the exchange, return the response with its body read."""
        request.read()
        response = self._inner.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        self._interactions.append(_interaction(request, response, self._secret))
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in _DROPPED_RESPONSE_HEADERS
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=response.content,
            extensions={"reason_phrase": response.reason_phrase.encode("ascii", "replace")},
        )

    def close(self) -> None:
        """Write what is pending and close the inner transport."""
        self.flush()
        self._inner.close()


class CassetteReplayer(httpx.BaseTransport):
    """Answer from cassettes, with nothing reaching a network.

    Each request takes the next unused recorded exchange whose method and path match
    (recording order), as vcrpy does.
    """

    def __init__(self, directory: Path):
        self._yaml = _yaml()
        if not directory.is_dir():
            raise ConfigurationError(f"No cassette directory at {directory}")
        self._dir = directory
        self._pending: list[Mapping[str, Any]] = []

    def start(self, name: str) -> None:
        """Answer from the cassette ``name`` from now on (none recorded: every call fails)."""
        path = self._dir / f"{name}.yaml"
        loaded = self._yaml.safe_load(path.read_text("utf-8")) if path.is_file() else None
        self._pending = list((loaded or {}).get("interactions", []))

    def flush(self) -> None:
        """Nothing to write when replaying (the recorder's counterpart)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The recorded response for ``request``, or a connection error when there is none."""
        for i, recorded in enumerate(self._pending):
            wanted = httpx.URL(recorded["request"]["uri"])
            if recorded["request"]["method"] == request.method and wanted.path == request.url.path:
                del self._pending[i]
                return _response(recorded["response"])
        raise httpx.ConnectError(
            f"No recorded answer for {request.method} {request.url.path}", request=request
        )


def _response(answer: Mapping[str, Any]) -> httpx.Response:
    body = answer["body"]["string"]
    content = body if isinstance(body, bytes) else body.encode("utf-8")
    headers = [(k, v) for k, values in answer["headers"].items() for v in values]
    return httpx.Response(answer["status"]["code"], headers=headers, content=content)
