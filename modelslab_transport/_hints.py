"""What to do about an error: advice added to a typed error's message. Pure.

Both adapters get the same advice because the transport's ``interpret`` adds it, for every
error response, before the error reaches any retry or caller.
"""

from __future__ import annotations

import difflib
from typing import Any

from ._catalog import list_catalog
from ._errors import APIError, BadRequestError, NotFoundError, UnprocessableEntityError

__all__ = ["API_PREFIX", "add_hints", "nearest_model_ids"]

API_PREFIX = "/api/v7/llm"

# Wording of a refusal that is about the model id, not the path.
_MODEL_WORDS = ("model",)


def nearest_model_ids(model_id: str, limit: int = 3) -> list[str]:
    """Catalog ids that look like ``model_id`` (a typo's likely intent), best first."""
    ids = [info.id for info in list_catalog()]
    if model_id in ids:
        return []
    by_lower = {i.lower(): i for i in ids}
    found = difflib.get_close_matches(model_id.lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[i] for i in found]


def _path_hint(url_path: str) -> str | None:
    if API_PREFIX in url_path:
        return None
    return (
        f"The URL {url_path!r} has no {API_PREFIX!r}: the ModelsLab LLM API lives under "
        f"https://modelslab.com{API_PREFIX}, so base_url should end with {API_PREFIX} "
        "(for example base_url='http://127.0.0.1:8765/api/v7/llm' for the local server)."
    )


def _model_hint(error: APIError, body: Any) -> str | None:
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, str) or not any(w in str(error).lower() for w in _MODEL_WORDS):
        return None
    near = nearest_model_ids(model)
    if not near:
        return None
    return f"Unknown model {model!r}; did you mean {', '.join(repr(i) for i in near)}?"


def add_hints(error: APIError, url_path: str, body: Any) -> APIError:
    """``error`` with a sentence on what to do appended, when one is known.

    Args:
        error: The typed error of an error response.
        url_path: The path of the request that got it (a 404 without the API's prefix means
            the base URL is wrong).
        body: The request body (its ``model`` is checked against the catalog on a refusal
            that speaks of the model).
    """
    hints: list[str] = []
    if isinstance(error, NotFoundError):
        hints.append(_path_hint(url_path) or "")
    if isinstance(error, NotFoundError | BadRequestError | UnprocessableEntityError):
        hints.append(_model_hint(error, body) or "")
    said = " ".join(h for h in hints if h)
    if said:
        error.message = f"{error.message} {said}"
        error.args = (error.message, *error.args[1:])
    return error
