"""A vcrpy configuration that keeps the ModelsLab key out of every cassette.

For your own suites with ``pytest-recording`` (or ``langchain-tests``' VCR test)::

    # conftest.py
    import pytest
    from modelslab_pytest import modelslab_vcr_config

    @pytest.fixture(scope="module")
    def vcr_config():
        return modelslab_vcr_config()

The key is taken from ``MODELSLAB_API_KEY`` when each exchange is recorded and replaced by
``<MODELSLAB_API_KEY>`` in the ``Authorization``, ``x-api-key`` and ``key`` headers, the JSON
``key`` field, query strings, and any echo in response bodies and headers — the same scrubber
``modelslab-check --record`` uses.
"""

from __future__ import annotations

import os
from typing import Any

# Imported when called, not when the plugin loads: a suite that records nothing pays nothing.

__all__ = ["modelslab_vcr_config"]


def _key() -> str:
    return os.environ.get("MODELSLAB_API_KEY", "")


def _scrub_value(value: Any, key: str) -> Any:
    from modelslab_transport.check import scrub_text

    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "surrogateescape"), key).encode(
            "utf-8", "surrogateescape"
        )
    if isinstance(value, str):
        return scrub_text(value, key)
    if isinstance(value, list):
        return [_scrub_value(item, key) for item in value]
    return value


def _scrub_request(request: Any) -> Any:
    key = _key()
    request.uri = _scrub_value(request.uri, key)
    if request.body:
        request.body = _scrub_value(request.body, key)
    for name in list(request.headers):
        request.headers[name] = _scrub_value(request.headers[name], key)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    key = _key()
    body = response.get("body", {})
    if "string" in body:
        body["string"] = _scrub_value(body["string"], key)
    headers = response.get("headers", {})
    for name in list(headers):
        headers[name] = _scrub_value(headers[name], key)
    return response


def modelslab_vcr_config() -> dict[str, Any]:
    """Vcrpy keyword arguments that scrub the key; return it from your ``vcr_config`` fixture.

    Returns:
        A dict for ``vcr.VCR(**...)`` / pytest-recording: key headers and the ``key`` query
        and body fields replaced, the key's text removed from anything else recorded, and
        compressed answers stored decoded (so the scrubber sees their text).
    """
    from modelslab_transport.check import SCRUBBED, SECRET_HEADERS

    headers = [(name, SCRUBBED) for name in SECRET_HEADERS]
    return {
        "filter_headers": headers,
        "filter_query_parameters": [("key", SCRUBBED)],
        "filter_post_data_parameters": [("key", SCRUBBED)],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }
