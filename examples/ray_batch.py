"""Run a batch of prompts through ChatModelsLab or ModelsLabLLM on Ray Data.

One model per Ray actor, each actor keeping at most ``per_worker_concurrency`` requests in
flight (the transport's ``max_concurrency``), so the whole job keeps
``workers x per_worker_concurrency`` requests in flight: keep that at or below your plan's
queue limit (5, 10 or 15), or ModelsLab answers HTTP 429. :func:`run_batch` refuses a
configuration that does not fit ``plan_limit``.

Every prompt becomes one row ``{"id", "prompt", "answer", "error", "input_tokens",
"output_tokens", "cost"}``; a prompt that fails gets its ``error`` and the job goes on.

How the API key reaches the workers: never inside a pickled model or in the actors'
constructor arguments. Models are built inside each actor from a :class:`ModelSpec` (plain,
key-free settings). The key is read from ``MODELSLAB_API_KEY`` in the worker's environment:
either set on the cluster's nodes (the safest: it never passes through Ray), or given as
``api_key=`` here, which sends it as an environment variable of the actors' Ray runtime
environment (Ray keeps runtime environments in its control store, where people with access to
the cluster's dashboard or state API can read them).

Usage (or from the command line: ``python examples/ray_batch_cli.py prompts.txt``)::

    import ray
    from ray_batch import run_batch

    ray.init()  # or ray.init(address="auto") on a cluster
    result = run_batch(["What is 7 + 5?", "Name a prime."], framework="langchain",
                       workers=2, per_worker_concurrency=2, plan_limit=5)
    print(result.summary())
    for row in result.rows:
        print(row.id, row.answer or row.error)

Needs the ``ray`` extra (``pip install "modelslab-integrations[ray,all]"``).
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ray_batch_rows import (  # the rows' module, next to this file
    COLUMNS,
    BatchResult,
    Framework,
    RowResult,
    record,
    row_from_record,
)

from modelslab_transport import DEFAULT_MODEL, ConfigurationError

ENV_API_KEY = "MODELSLAB_API_KEY"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ModelSpec:
    """Everything an actor needs to build its model. Holds no key and no client.

    Attributes:
        framework: ``"langchain"`` (``ChatModelsLab``) or ``"llama_index"`` (``ModelsLabLLM``).
        model: Default model id (a prompt may name another).
        base_url: API base URL; ``None`` for ``MODELSLAB_BASE_URL`` or the public API.
        max_concurrency: The transport budget of the actor's model.
        max_retries: Retries per request (429s wait for ``Retry-After``).
        options: Further non-secret constructor arguments (``temperature``, ``max_tokens``...).
    """

    framework: Framework
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    max_concurrency: int = 1
    max_retries: int = 2
    options: Mapping[str, Any] = field(default_factory=dict)


def check_budget(workers: int, per_worker_concurrency: int, plan_limit: int) -> None:
    """Refuse a job that could queue more requests than the plan allows.

    Raises:
        ConfigurationError: A number is below 1, or ``workers x per_worker_concurrency``
            exceeds ``plan_limit``.
    """
    numbers = {
        "workers": workers,
        "per_worker_concurrency": per_worker_concurrency,
        "plan_limit": plan_limit,
    }
    for name, value in numbers.items():
        if not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"{name} must be an int >= 1, got {value!r}.")
    if workers * per_worker_concurrency > plan_limit:
        raise ConfigurationError(
            f"workers x per_worker_concurrency = {workers} x {per_worker_concurrency} = "
            f"{workers * per_worker_concurrency} requests in flight exceeds plan_limit "
            f"{plan_limit}; use fewer workers or a smaller per-worker budget."
        )


# ------------------------------------------------------------------------------ actor


def build_model(spec: ModelSpec) -> Any:
    """The spec's model, built in the current process (its key from the environment)."""
    settings = {
        "model": spec.model,
        "max_concurrency": spec.max_concurrency,
        "max_retries": spec.max_retries,
        **spec.options,
    }
    if spec.base_url is not None:
        settings["base_url"] = spec.base_url
    if spec.framework == "langchain":
        from langchain_modelslab import ChatModelsLab

        return ChatModelsLab(**settings)
    if spec.framework == "llama_index":
        from llama_index_modelslab import ModelsLabLLM

        return ModelsLabLLM(**settings)
    raise ConfigurationError(
        f"framework must be 'langchain' or 'llama_index', got {spec.framework!r}."
    )


class PromptWorker:
    """A Ray Data actor: one model, built once; answers batches of prompt rows.

    LangChain models answer a batch with ``batch(..., max_concurrency=...)`` (threads);
    LlamaIndex models with ``acomplete`` on one event loop kept for the actor's lifetime (so
    its connections are reused). Either way the transport keeps the actor within its budget.
    """

    def __init__(self, spec: ModelSpec) -> None:
        if not os.environ.get(ENV_API_KEY):
            raise ConfigurationError(
                f"No {ENV_API_KEY} in this worker's environment: set it on the cluster's "
                "nodes or pass api_key= to run_batch."
            )
        self.spec = spec
        self.model = build_model(spec)
        # One loop for the actor's lifetime (asyncio.Runner is Python 3.11+).
        self._loop = asyncio.new_event_loop() if spec.framework == "llama_index" else None

    def close(self) -> None:
        """Close the model's connections and the event loop (Ray ends actors by exiting)."""
        self.model.close()
        if self._loop is not None:
            # What asyncio.Runner.close does: finalize async generators (the per-loop client
            # closes there), then close the loop.
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        """Answer one batch (columns ``id``, ``prompt``, ``model``) into the result columns."""
        items = [
            {"id": i, "prompt": p, "model": m}
            for i, p, m in zip(batch["id"], batch["prompt"], batch["model"], strict=True)
        ]
        answers = self._answer(items)
        records = [
            record(item, answer, str(item["model"]) or self.spec.model, self.spec.framework)
            for item, answer in zip(items, answers, strict=True)
        ]
        return {name: [record[name] for record in records] for name in COLUMNS}

    def _answer(self, items: list[dict[str, Any]]) -> list[Any]:
        """The response (or the exception) for each item, in order."""
        if self._loop is None:
            from langchain_core.runnables import RunnableLambda

            invoke = RunnableLambda(self._invoke)
            config = {"max_concurrency": self.spec.max_concurrency}
            return invoke.batch(items, config=config, return_exceptions=True)  # type: ignore[arg-type]
        return self._loop.run_until_complete(self._acomplete_all(items))

    def _invoke(self, item: Mapping[str, Any]) -> Any:
        extra = {"model": str(item["model"])} if item["model"] else {}
        return self.model.invoke(str(item["prompt"]), **extra)

    async def _acomplete_all(self, items: list[dict[str, Any]]) -> list[Any]:
        async def one(item: Mapping[str, Any]) -> Any:
            extra = {"model": str(item["model"])} if item["model"] else {}
            return await self.model.acomplete(str(item["prompt"]), **extra)

        # All start at once; the transport admits max_concurrency of them at a time.
        return list(await asyncio.gather(*(one(item) for item in items), return_exceptions=True))


# ------------------------------------------------------------------------------ driver


def _items(prompts: Sequence[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for index, prompt in enumerate(prompts):
        entry = {"prompt": prompt} if isinstance(prompt, str) else dict(prompt)
        if not isinstance(entry.get("prompt"), str):
            raise ConfigurationError(f"Prompt {index} has no 'prompt' string: {prompt!r}.")
        items.append({"id": index, "prompt": entry["prompt"], "model": entry.get("model") or ""})
    return items


class _Progress:
    """One tqdm bar on a terminal; a few plain lines when stderr is redirected.

    A bar redraws itself with carriage returns, which turns a log file into one long line,
    so redirected output gets a line at every quarter of the job instead.
    """

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self._next = total, 0, 0.25
        self.enabled = enabled
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped]
            except ImportError:
                return
            self.bar = tqdm(total=total, unit="prompt", desc="prompts", file=sys.stderr)

    def update(self, count: int) -> None:
        """Count ``count`` more rows done."""
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        if self.enabled and self.done >= self._next * self.total:
            print(f"prompts: {self.done}/{self.total} done", file=sys.stderr, flush=True)
            while self._next * self.total <= self.done and self._next <= 1:
                self._next += 0.25

    def close(self) -> None:
        """End the bar, if one was drawn."""
        if self.bar is not None:
            self.bar.close()


def run_batch(
    prompts: Sequence[str | Mapping[str, Any]],
    *,
    framework: Framework = "langchain",
    model: str = DEFAULT_MODEL,
    base_url: str | None = None,
    api_key: str | None = None,
    workers: int = 1,
    per_worker_concurrency: int | None = None,
    plan_limit: int = 5,
    batch_size: int | None = None,
    num_cpus_per_worker: float = 0.25,
    max_retries: int = 2,
    options: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> BatchResult:
    """Answer ``prompts`` on Ray Data, one model per actor; failures stay in their rows.

    Args:
        prompts: Strings, or mappings with ``"prompt"`` and optionally ``"model"`` (that row's
            model id). A row's ``id`` is its position here.
        framework: ``"langchain"`` or ``"llama_index"``.
        model: Default model id.
        base_url: API base URL (``None``: ``MODELSLAB_BASE_URL`` on the workers, else public).
        api_key: Sent to the actors as ``MODELSLAB_API_KEY`` in their runtime environment;
            ``None`` leaves it to the workers' own environment (see the module docstring).
        workers: Number of actors.
        per_worker_concurrency: Requests in flight per actor; default ``plan_limit // workers``.
        plan_limit: The account's queue limit; ``workers x per_worker_concurrency`` must fit.
        batch_size: Rows per actor call; default ``4 x per_worker_concurrency``.
        num_cpus_per_worker: Ray CPUs reserved per actor (the work is waiting on the network).
        max_retries: Retries per request.
        options: Further non-secret model arguments (``temperature``, ``max_tokens``...).
        progress: Report progress on stderr (a tqdm bar on a terminal, else a line at each
            quarter of the job; Ray Data's own bars stay off) and print the summary once.

    Raises:
        ConfigurationError: The budget does not fit ``plan_limit``, or a prompt is malformed.
    """
    per_worker = per_worker_concurrency or max(plan_limit // max(workers, 1), 0)
    check_budget(workers, per_worker, plan_limit)
    items = _items(prompts)
    import ray.data  # checked above first, so a bad job fails without starting Ray

    spec = ModelSpec(framework, model, base_url, per_worker, max_retries, dict(options or {}))
    size = batch_size or 4 * per_worker
    _ship_this_module_by_value()
    dataset = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / size)))
    answered = dataset.map_batches(
        PromptWorker,
        fn_constructor_kwargs={"spec": spec},
        compute=ray.data.ActorPoolStrategy(size=workers),
        batch_size=size,
        batch_format="numpy",
        num_cpus=num_cpus_per_worker,
        runtime_env={"env_vars": {ENV_API_KEY: api_key}} if api_key else None,
    )
    return _collect(answered, len(items), progress)


def _collect(dataset: Any, total: int, progress: bool) -> BatchResult:
    from ray.data import DataContext

    context = DataContext.get_current()
    bar = _Progress(total, progress)
    saved = context.enable_progress_bars
    context.enable_progress_bars = False  # ours is the only one
    rows: list[RowResult] = []
    started = time.perf_counter()
    warmup, first = 0.0, 0
    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="pandas"):
            if not rows:
                warmup, first = time.perf_counter() - started, len(batch)
            rows.extend(row_from_record(r) for r in batch.to_dict("records"))
            bar.update(len(batch))
    finally:
        context.enable_progress_bars = saved
        bar.close()
    elapsed = time.perf_counter() - started
    result = BatchResult(sorted(rows, key=lambda row: row.id), elapsed, warmup, first)
    if progress:
        print(result.summary(), file=sys.stderr)
    return result


def _ship_this_module_by_value() -> None:
    """Let workers unpickle :class:`PromptWorker` without this file on their ``sys.path``."""
    from ray import cloudpickle

    if __name__ != "__main__":  # a script's own classes always travel by value
        cloudpickle.register_pickle_by_value(sys.modules[__name__])  # type: ignore[no-untyped-call]
    # The rows' module travels the same way, whoever imported it.
    cloudpickle.register_pickle_by_value(sys.modules["ray_batch_rows"])  # type: ignore[no-untyped-call]
