"""Which settings a model accepts, and where: one rule for both adapters. Pure.

* **Unknown names** -- a constructor argument neither the class nor its framework declares is
  refused with :class:`ConfigurationError` naming the nearest known setting
  (``tempreature`` -> ``temperature``), never dropped in silence. The known names are the
  class's declared fields, so a field added later is known without touching this module.
* **Client settings per call** -- ``max_retries``, ``api_key``, ``base_url``, ... build the
  HTTP clients once; passed to one call they are refused before any I/O, never sent to the API
  as body fields.
* **The key as a body field** -- ModelsLab's own docs put the key in the JSON ``key`` field;
  given that way (``model_kwargs``, ``extra_body``, ``additional_kwargs`` or a call's
  arguments) it would be stored and shown as a plain parameter, so it is refused, pointing to
  ``api_key`` and ``key_in_body``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from ._errors import ConfigurationError
from ._reasoning import check_reasoning_values
from ._validate import check_sampling

__all__ = [
    "BODY_FIELDS",
    "CLIENT_SETTINGS",
    "PER_CALL_ALLOWED",
    "check_body_key",
    "check_call_settings",
    "check_init_arguments",
    "check_setting_names",
]

# The settings both transport clients are built from: a model object's fields of these names.
CLIENT_SETTINGS = (
    "api_key",
    "base_url",
    "timeout",
    "connect_timeout",
    "max_retries",
    "default_headers",
    "key_in_body",
    "allow_insecure_http",
    "max_concurrency",
    "deadline",
)

BODY_FIELDS = frozenset({"model_kwargs", "extra_body", "additional_kwargs"})
"""The adapters' dict fields merged into request bodies."""

PER_CALL_ALLOWED = frozenset({"timeout", "deadline"})
"""Client settings a single call may set (they bound that call only)."""

# Client settings that shape the clients themselves, plus the injected-client spellings.
_CLIENT_ONLY = (frozenset(CLIENT_SETTINGS) - PER_CALL_ALLOWED) | {
    "http_client",
    "http_async_client",
    "async_http_client",
}


# The OpenAI SDK's per-request options: LangChain and LlamaIndex users pass them per call
# expecting headers or a query string, and as unknown names they would go into the JSON body
# (headers that may hold credentials, sent where a server may log or echo them).
_SDK_OPTIONS = frozenset({"extra_headers", "extra_query"})
_REFUSED_PER_CALL = _CLIENT_ONLY | _SDK_OPTIONS


def check_setting_names(owner: str, given: Iterable[str], known: Iterable[str]) -> None:
    """Refuse a constructor argument ``owner`` does not declare.

    Args:
        owner: The class name, for the message.
        given: The argument names passed.
        known: Every name the class accepts (fields, aliases, extra init arguments).

    Raises:
        ConfigurationError: Names the first unknown argument and the nearest known ones.
    """
    names = sorted(set(known))
    unknown = sorted(set(given) - set(names))
    if not unknown:
        return
    name = unknown[0]
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    raise ConfigurationError(
        f"{owner} has no setting {name!r}.{hint} Extra request parameters go in "
        "model_kwargs/extra_body (LangChain) or additional_kwargs (LlamaIndex)."
    )


def check_body_key(source: str, body: Mapping[str, Any] | None) -> None:
    """Refuse the API key given as a request body field.

    Args:
        source: Where the field was given (``"model_kwargs"``, ``"extra_body"``...).
        body: The body fields given there.

    Raises:
        ConfigurationError: Points to ``api_key``/``key_in_body``; never holds the value.
    """
    if isinstance(body, Mapping) and "key" in body:
        raise ConfigurationError(
            f"{source} holds the API key as 'key': pass it as api_key=... instead (and "
            "key_in_body=True to also send it in the JSON body), so that it stays hidden "
            "from reprs, pickles, dumps and logs."
        )


def check_call_settings(call: Mapping[str, Any]) -> None:
    """Refuse client settings and the key among one call's arguments, before any I/O.

    Args:
        call: The call's keyword arguments.

    Raises:
        ConfigurationError: Names the setting and how to change it for a call.
    """
    extra = call.get("extra_body")
    # Checked on every layer of every call: the usual layer (none of these names) returns at once.
    if (
        _REFUSED_PER_CALL.isdisjoint(call)
        and "key" not in call
        and (extra is None or (type(extra) is dict and "key" not in extra))
    ):
        return
    for name in sorted(_CLIENT_ONLY.intersection(call)):
        raise ConfigurationError(
            f"{name} is a setting of the model, not of one call: set it on the model, or "
            f"call a copy (model.model_copy(update={{{name!r}: ...}})). Per call, only "
            "timeout and deadline are honoured."
        )
    for name in sorted(_SDK_OPTIONS.intersection(call)):
        raise ConfigurationError(
            f"{name} is an OpenAI SDK request option, which this model does not take per call "
            "(it would be sent as a body field): set default_headers on the model, or call a "
            "copy (model.model_copy(update={'default_headers': {...}}))."
        )
    check_body_key("the call's arguments", call)
    check_body_key("extra_body", extra)


def check_init_arguments(
    model: type[BaseModel],
    data: Mapping[str, Any],
    bodies: Iterable[str],
    extra_names: Iterable[str] = (),
) -> None:
    """The construction rule both adapters apply before pydantic validates ``data``.

    Unknown names are refused (the known ones are ``model``'s declared fields and their
    aliases, plus ``extra_names``); the body-parameter fields named in ``bodies`` may hold
    neither the key nor a client setting; and the sampling settings are checked as a request
    would be (and ``temperature`` within 0-2), so ``max_tokens=0`` fails here rather than at
    the first call; so are the values of ``reasoning_effort`` and ``thinking``.

    Args:
        model: The pydantic model class being built.
        data: The constructor's keyword arguments.
        bodies: The names of its dict fields merged into request bodies.
        extra_names: Constructor arguments that are not fields.

    Raises:
        ConfigurationError: Names the setting that is wrong (never the key's value).
    """
    fields = model.model_fields
    known = {*fields, *extra_names}
    known.update(f.alias for f in fields.values() if f.alias)
    check_setting_names(model.__name__, data, known)
    for source in bodies:
        body = data.get(source)
        if isinstance(body, Mapping):
            check_body_key(source, body)
            check_call_settings(body)
    check_sampling({name: data.get(name) for name in ("max_tokens", "n", "temperature", "top_p")})
    check_reasoning_values(data.get("reasoning_effort"), data.get("thinking"))
    temperature = data.get("temperature")
    # The range both API formats document; checked once, for the model's own setting.
    if temperature is not None and not 0 <= temperature <= 2:
        raise ConfigurationError(f"temperature must be between 0 and 2, got {temperature!r}.")
