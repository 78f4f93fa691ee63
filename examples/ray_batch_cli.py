"""Answer prompts on Ray from the command line: one prompt per line in, one JSON row out.

    python examples/ray_batch_cli.py prompts.txt --workers 2 --plan-limit 5 > answers.jsonl

The driver's ``MODELSLAB_API_KEY`` is shipped to the actors in their Ray runtime environment
(``--no-ship-key``: the workers' own environment has it); ``MODELSLAB_BASE_URL`` is passed on
as ``base_url``. Progress and the summary (tokens, dollars) go to stderr: a bar on a terminal,
a few plain lines when redirected. Ray's own log lines are kept quiet (``--ray-logs`` shows
them). The options are checked before Ray starts, so a mistake costs one line, not a worker
traceback. See ``ray_batch.py`` for the recipe itself.

Offline, against the local server::

    modelslab-local serve &
    export MODELSLAB_BASE_URL=http://127.0.0.1:8765/api/v7/llm MODELSLAB_API_KEY=sk-local
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ray_batch import ENV_API_KEY, run_batch  # the recipe next to this file

from modelslab_transport import DEFAULT_MODEL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Answer prompts on Ray, one JSON line each on stdout.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("prompts", help="a text file with one prompt per line ('-': stdin)")
    add(
        "--framework",
        choices=["langchain", "llama_index"],
        default="langchain",
        help="which adapter answers: ChatModelsLab or ModelsLabLLM",
    )
    add("--model", default=DEFAULT_MODEL, help="the model id")
    add("--workers", type=int, default=1, help="Ray actors, one model each")
    add(
        "--per-worker",
        type=int,
        default=None,
        help="requests in flight per worker; unset: plan limit // workers",
    )
    add(
        "--plan-limit",
        type=int,
        default=5,
        help="your plan's queue limit: workers x per-worker must not exceed it",
    )
    add("--address", default=None, help="a Ray cluster to join; unset: start a local one")
    add(
        "--no-ship-key",
        action="store_true",
        help=f"do not send the driver's {ENV_API_KEY} (the workers have their own)",
    )
    add("--ray-logs", action="store_true", help="show Ray's own log lines")
    return parser


def check_options(args: argparse.Namespace) -> str | None:
    """The first mistake in the user's options, in their own words; ``None`` if none."""
    for option, value in (("--workers", args.workers), ("--plan-limit", args.plan_limit)):
        if value < 1:
            return f"{option} must be at least 1, got {value}."
    if args.per_worker is not None and args.per_worker < 1:
        return f"--per-worker must be at least 1, got {args.per_worker}."
    if args.per_worker is None and args.workers > args.plan_limit:
        return (
            f"--workers {args.workers} is more than --plan-limit {args.plan_limit} allows "
            f"(each worker keeps at least one request in flight): use --workers "
            f"{args.plan_limit} or fewer."
        )
    if args.per_worker is not None and args.workers * args.per_worker > args.plan_limit:
        return (
            f"--workers {args.workers} x --per-worker {args.per_worker} = "
            f"{args.workers * args.per_worker} requests in flight exceeds --plan-limit "
            f"{args.plan_limit}: use fewer workers or a smaller --per-worker."
        )
    if not args.no_ship_key and not os.environ.get(ENV_API_KEY):
        return (
            f"No {ENV_API_KEY} set: export it (offline: run `modelslab-local serve` and use "
            "its key and base URL), or pass --no-ship-key if the workers have their own."
        )
    return None


def _read_prompts(name: str) -> list[str]:
    if name == "-":
        return [line.strip() for line in sys.stdin if line.strip()]
    try:
        with open(name, encoding="utf-8") as source:
            return [line.strip() for line in source if line.strip()]
    except OSError as error:
        sys.exit(f"ray_batch_cli.py: cannot read prompts {name!r}: {error.strerror}.")


# The one line Ray's C++ core prints whatever the level: that it read RAY_BACKEND_LOG_LEVEL.
_RAY_LEVEL_LINE = "Set ray log level from environment variable"


@contextlib.contextmanager
def _without_ray_level_line() -> Iterator[None]:
    """Hold back file descriptor 2 (where Ray's C++ core writes) while Ray starts.

    Every line but the one announcing the log level is passed on, so a real error still shows.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [ln for ln in held.read().splitlines(True) if _RAY_LEVEL_LINE.encode() not in ln]
            os.write(2, b"".join(kept))


def _start_ray(address: str | None, ray_logs: bool) -> None:
    """Start (or join) Ray, quiet unless asked: no worker logs, no dashboard, no INFO lines."""
    import ray

    if ray_logs:
        if not ray.is_initialized():
            ray.init(address=address, logging_level=logging.INFO, include_dashboard=False)
        return
    # Ray's C++ core logs to stderr on its own (an actor-restart notice per worker, among
    # others); this keeps it to fatal errors.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    import ray.data  # configures its loggers on import: quiet them afterwards

    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if ray.is_initialized():
        return
    with _without_ray_level_line():
        ray.init(
            address=address,
            log_to_driver=False,
            logging_level=logging.ERROR,
            include_dashboard=False,
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Check the options, run the batch, print one JSON line per prompt."""
    args = _parser().parse_args(argv)
    problem = check_options(args)
    if problem is not None:
        sys.exit(f"ray_batch_cli.py: {problem}")
    prompts = _read_prompts(args.prompts)
    _start_ray(args.address, args.ray_logs)
    result = run_batch(
        prompts,
        framework=args.framework,
        model=args.model,
        base_url=os.environ.get("MODELSLAB_BASE_URL"),
        api_key=None if args.no_ship_key else os.environ.get(ENV_API_KEY),
        workers=args.workers,
        per_worker_concurrency=args.per_worker,
        plan_limit=args.plan_limit,
    )
    for row in result.rows:
        print(json.dumps(asdict(row), ensure_ascii=False))


if __name__ == "__main__":
    main()
