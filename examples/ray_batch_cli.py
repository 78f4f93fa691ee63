"""Answer prompts on Ray from the command line: one prompt per line in, one JSON row out.

    python examples/ray_batch_cli.py prompts.txt --workers 2 --plan-limit 5 > answers.jsonl

The driver's ``MODELSLAB_API_KEY`` is shipped to the actors in their Ray runtime environment
(``--no-ship-key``: the workers' own environment has it); ``MODELSLAB_BASE_URL`` is passed on
as ``base_url``. A progress bar and the summary (tokens, dollars) go to stderr. See
``ray_batch.py`` for the recipe itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ray_batch import ENV_API_KEY, run_batch  # the recipe next to this file

from modelslab_transport import DEFAULT_MODEL


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, run the batch, print one JSON line per prompt."""
    parser = argparse.ArgumentParser(description="Answer prompts on Ray, one JSON line each.")
    parser.add_argument("prompts", help="a text file with one prompt per line ('-': stdin)")
    parser.add_argument("--framework", choices=["langchain", "llama_index"], default="langchain")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--per-worker", type=int, default=None, help="default: plan // workers")
    parser.add_argument("--plan-limit", type=int, default=5, help="your plan's queue limit")
    parser.add_argument("--address", default=None, help="a Ray cluster (default: local)")
    parser.add_argument("--no-ship-key", action="store_true", help="do not send the key")
    args = parser.parse_args(argv)
    with sys.stdin if args.prompts == "-" else open(args.prompts, encoding="utf-8") as source:
        prompts = [line.strip() for line in source if line.strip()]
    import ray

    if not ray.is_initialized():
        ray.init(address=args.address)
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
