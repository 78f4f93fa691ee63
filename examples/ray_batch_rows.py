"""The rows and totals of a Ray batch job (``ray_batch.py``): plain data, no Ray needed.

Every prompt becomes one row ``{"id", "prompt", "answer", "error", "input_tokens",
"output_tokens", "cost"}`` (:func:`record`, in the actors); the driver reads them back into
:class:`RowResult` and sums them up in :class:`BatchResult`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from modelslab_transport import estimate_cost

Framework = Literal["langchain", "llama_index"]
COLUMNS = ("id", "prompt", "answer", "error", "input_tokens", "output_tokens", "cost")
# Columns carry no nulls ("" and NaN stand for "none"): every Ray block format stores them alike.
EMPTY_ROW: dict[str, Any] = {
    "answer": "",
    "error": "",
    "input_tokens": 0,
    "output_tokens": 0,
    "cost": math.nan,
}


@dataclass(frozen=True)
class RowResult:
    """The outcome of one prompt (``answer`` or ``error`` is ``None``)."""

    id: int
    prompt: str
    answer: str | None
    error: str | None
    input_tokens: int
    output_tokens: int
    cost: float | None


@dataclass(frozen=True)
class BatchResult:
    """All rows, ordered by ``id`` (the prompt's position), plus totals."""

    rows: list[RowResult]
    seconds: float
    """Wall time from submitting the job to its last row."""
    warmup_seconds: float = 0.0
    """Wall time until the first rows came back (actors starting, models being built)."""
    first_rows: int = 0
    """How many rows came back with the first block."""

    @property
    def failed(self) -> list[RowResult]:
        """The rows whose request failed."""
        return [row for row in self.rows if row.error is not None]

    @property
    def input_tokens(self) -> int:
        """Prompt tokens over all rows."""
        return sum(row.input_tokens for row in self.rows)

    @property
    def output_tokens(self) -> int:
        """Answer tokens over all rows."""
        return sum(row.output_tokens for row in self.rows)

    @property
    def cost(self) -> float:
        """Estimated dollars over the rows whose model has a catalog price."""
        return sum(row.cost for row in self.rows if row.cost is not None)

    @property
    def requests_per_second(self) -> float:
        """Rows finished per second of wall time."""
        return len(self.rows) / self.seconds if self.seconds > 0 else 0.0

    @property
    def steady_requests_per_second(self) -> float:
        """Rows per second once the first rows were back (start-up excluded)."""
        busy = self.seconds - self.warmup_seconds
        return (len(self.rows) - self.first_rows) / busy if busy > 0 else 0.0

    def summary(self) -> str:
        """One line: counts, throughput, tokens and dollars.

        The rate after start-up is left out when no rows came back after the first block:
        a small job is over before there is anything to measure.
        """
        if len(self.rows) > self.first_rows and self.seconds > self.warmup_seconds:
            steady = f"{_rate(self.steady_requests_per_second)} after start-up"
        else:
            steady = "too short to measure after start-up"
        return (
            f"{len(self.rows)} prompts in {self.seconds:.1f} s "
            f"({_rate(self.requests_per_second)} requests/s, {steady}): "
            f"{len(self.rows) - len(self.failed)} answered, {len(self.failed)} failed; "
            f"tokens {self.input_tokens:,} in / {self.output_tokens:,} out; "
            f"estimated cost ${self.cost:.6f}"
        )


def _rate(value: float) -> str:
    """A rate with one decimal, or two significant digits below 0.1 (never a bare "0.0")."""
    return f"{value:.1f}" if value >= 0.1 or value == 0 else f"{value:.2g}"


def row_from_record(values: Mapping[str, Any]) -> RowResult:
    """A row as the driver reads it back from the dataset (``""`` and NaN become ``None``)."""
    cost = float(values["cost"])
    return RowResult(
        id=int(values["id"]),
        prompt=str(values["prompt"]),
        answer=str(values["answer"]) if not values["error"] else None,
        error=str(values["error"]) or None,
        input_tokens=int(values["input_tokens"]),
        output_tokens=int(values["output_tokens"]),
        cost=None if math.isnan(cost) else cost,
    )


def record(
    item: Mapping[str, Any], answer: Any, model: str, framework: Framework
) -> dict[str, Any]:
    """One output row from a prompt and its answer (a response or the exception raised)."""
    row: dict[str, Any] = dict(EMPTY_ROW, id=int(item["id"]), prompt=str(item["prompt"]))
    if isinstance(answer, BaseException):
        row["error"] = f"{type(answer).__name__}: {answer}"
        return row
    if framework == "langchain":
        usage = dict(answer.usage_metadata or {})
    else:
        usage = dict(answer.additional_kwargs.get("usage") or {})
    row["answer"] = str(answer.text)
    row["input_tokens"] = int(usage.get("input_tokens", 0))
    row["output_tokens"] = int(usage.get("output_tokens", 0))
    cost = estimate_cost(model, usage) if usage else None
    if cost is not None:
        row["cost"] = cost
    return row
