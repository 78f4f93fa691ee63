"""Client settings: key, base URL, timeouts, headers, budget. Pure; resolved once per client.

Authentication as ``docs/modelslab-api.md`` §2 describes it: ``Authorization: Bearer`` on
every call (documented for all endpoints), plus ``x-api-key`` on the ``/v1/*`` endpoints whose
examples use it, plus ``anthropic-version`` on the Messages endpoints. Putting ``key`` in the
JSON body (what older ModelsLab examples do) is an opt-in (``key_in_body=True``).
"""

from __future__ import annotations

import ipaddress
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from ._constants import (
    ANTHROPIC_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
)
from ._errors import ConfigurationError
from ._limit import DEFAULT_MAX_CONCURRENCY, resolve_max_concurrency
from ._validate import (
    check_base_url,
    check_deadline,
    check_headers,
    check_key,
    check_seconds,
    shown,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "resolve_config",
]


def _version() -> str:
    try:
        return metadata.version("modelslab-integrations")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


__version__ = _version()

USER_AGENT = (
    f"modelslab-integrations/{__version__} "
    f"python/{'.'.join(platform.python_version_tuple()[:2])} httpx/{httpx.__version__}"
)


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost`` names, 127.0.0.0/8, ``::1``.

    An IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is judged by the IPv4 address it maps:
    it reaches the same loopback interface. Decided here, not by ``ipaddress``'s
    ``is_loopback``, whose answer for mapped addresses changed in Python 3.13.
    """
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Resolved client settings. ``repr`` never shows the key (it is a ``SecretStr``)."""

    api_key: SecretStr | None
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    default_headers: Mapping[str, str] = field(default_factory=dict)
    key_in_body: bool = False
    allow_insecure_http: bool = False
    max_concurrency: int | None = DEFAULT_MAX_CONCURRENCY
    # Seconds one call may take in all (attempts, retry waits, reading); None: unbounded.
    deadline: float | None = None
    # Derived once, not per call: parsing the base URL and building the same headers again
    # for every request is measurable next to a raw httpx call (see bench/).
    _insecure_host: str | None = field(default=None, init=False, repr=False, compare=False)
    _urls: dict[str, httpx.URL] = field(default_factory=dict, init=False, repr=False, compare=False)
    _headers: dict[tuple[str, bool, bool], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
            object.__setattr__(self, "_insecure_host", parts.hostname or "")

    def secret(self) -> str | None:
        """The raw key, for redaction only (``None`` when unset)."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def require_key(self) -> str:
        """Return the key, or raise if it is missing or would travel in clear text.

        Raises:
            ConfigurationError: No key was given, or the base URL is plain ``http://`` to a
                host that is not loopback and ``allow_insecure_http`` is off.
        """
        key = self.secret()
        if not key:
            raise ConfigurationError(
                "No ModelsLab API key: pass api_key=... or set the "
                f"{ENV_API_KEY} environment variable. To try the package offline, run "
                "`modelslab-local serve` (or `make demo` in a clone) and export the two "
                "variables it prints."
            )
        if self._insecure_host is not None and not self.allow_insecure_http:
            raise ConfigurationError(
                f"Refusing to send the API key over plain http:// to {self._insecure_host!r}; "
                "use https://, a loopback host, or allow_insecure_http=True."
            )
        return key

    def url(self, path: str) -> httpx.URL:
        """Join ``path`` (``/chat/completions``, ``/v1/messages`` ...) onto the base URL."""
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self.base_url + path)
        return url

    def headers(self, path: str, *, stream: bool, json_body: bool = False) -> dict[str, str]:
        """Headers for one call to ``path``; raises when the key is missing (see above).

        The dict is shared between calls: read it, do not change it.
        """
        key = self.require_key()  # checked on every call, so a missing key is never cached
        cached = self._headers.get((path, stream, json_body))
        if cached is not None:
            return cached
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/event-stream" if stream else "application/json",
            **self.default_headers,
            "Authorization": f"Bearer {key}",
        }
        if path.startswith("/v1/"):
            headers["x-api-key"] = key
        if path.startswith("/v1/messages"):
            headers["anthropic-version"] = ANTHROPIC_VERSION
        if json_body:
            headers["Content-Type"] = "application/json"
        self._headers[(path, stream, json_body)] = headers
        return headers

    def finish_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply the legacy ``key_in_body`` option (``key`` + ``model_id`` in the JSON body)."""
        if not self.key_in_body:
            return body
        body = {**body, "key": self.require_key()}
        if "model" in body:
            body.setdefault("model_id", body["model"])
        return body

    def call_timeout(self, read: float | None) -> httpx.Timeout:
        """The client timeout with the read (and write) timeout replaced by ``read``."""
        if read is None:
            return self.timeout
        read = check_seconds("timeout", read, None)
        return httpx.Timeout(read, connect=self.timeout.connect, write=read, pool=self.timeout.pool)


def _resolve_base_url(base_url: str | None) -> str:
    url = (base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an http(s) URL with a host, got {parts.scheme or 'no'} scheme."
        )
    return check_base_url(url)


def resolve_config(
    api_key: str | SecretStr | None = None,
    *,
    base_url: str | None = None,
    timeout: float | None = None,
    connect_timeout: float | None = None,
    max_retries: int = 2,
    default_headers: Mapping[str, str] | None = None,
    key_in_body: bool = False,
    allow_insecure_http: bool = False,
    max_concurrency: int | None = None,
    deadline: float | None = None,
) -> ClientConfig:
    """Resolve constructor arguments and environment into a :class:`ClientConfig`.

    A missing key is not an error here: it is reported when a call is made, so objects can be
    built (and serialized, inspected) before the key is configured.
    """
    if api_key is None:
        api_key = os.environ.get(ENV_API_KEY) or None
    if isinstance(api_key, str):
        api_key = SecretStr(check_key(api_key.strip())) if api_key.strip() else None
    elif isinstance(api_key, SecretStr) and api_key.get_secret_value().strip():
        api_key = SecretStr(check_key(api_key.get_secret_value().strip()))
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be an int >= 0, got {shown(max_retries)}.")
    read = check_seconds("timeout", timeout, DEFAULT_TIMEOUT)
    connect = check_seconds("connect_timeout", connect_timeout, DEFAULT_CONNECT_TIMEOUT)
    return ClientConfig(
        api_key=api_key,
        base_url=_resolve_base_url(base_url),
        # The write timeout follows the read timeout (image uploads can be large); waiting
        # for a pooled connection is bounded like connecting.
        timeout=httpx.Timeout(read, connect=connect, write=read, pool=connect),
        max_retries=max_retries,
        default_headers=check_headers(default_headers),
        key_in_body=key_in_body,
        allow_insecure_http=allow_insecure_http,
        max_concurrency=resolve_max_concurrency(max_concurrency),
        deadline=check_deadline(deadline),
    )
