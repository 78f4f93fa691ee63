"""Measure requests/s of the Ray recipe at 1, 4 and 8 workers against the local server.

The local ModelsLab-compatible server runs in its own process (deterministic engine), so it
does not share the driver's interpreter. Two settings are measured: the server answering at
once (what the client, Ray and the machine cost), and with a simulated model latency per
request (the ``slow-first-byte`` fault), which is what a real API looks like and where
concurrency pays. Each row also shows this process alone with the same number of requests
in flight (``ChatModelsLab.batch`` or ``ModelsLabLLM.acomplete`` gathered; no Ray).

Run: ``python examples/ray_throughput.py`` (needs the ``ray`` extra; a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ray_batch import run_batch  # the recipe next to this file

KEY = "modelslab-local"


@contextmanager
def server_process() -> Iterator[str]:
    """Start ``modelslab-local serve`` in a subprocess; yield its root URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "modelslab_local",
        "serve",
        "--port",
        str(port),
        "--engine",
        "deterministic",
        "--api-key",
        KEY,
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command)  # noqa: S603 - our own interpreter and module
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v7/llm/v1/models", headers={"x-api-key": KEY})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def base_url(root: str, latency: float) -> str:
    """The API base, with every request delayed by ``latency`` seconds when it is > 0."""
    return f"{root}/fault/slow-first-byte:{latency}/api/v7/llm" if latency else f"{root}/api/v7/llm"


def one_process(framework: str, url: str, prompts: list[Any], in_flight: int) -> float:
    """Requests/s of this process alone: ``ChatModelsLab.batch`` (threads) or ``acomplete``."""
    from langchain_modelslab import ChatModelsLab
    from llama_index_modelslab import ModelsLabLLM

    settings: dict[str, Any] = {"base_url": url, "max_concurrency": in_flight, "max_retries": 0}
    if framework == "langchain":
        model = ChatModelsLab(api_key=SecretStr(KEY), **settings)
        model.invoke(prompts[0])  # connect once: the Ray numbers exclude start-up too
        started = time.perf_counter()
        model.batch(prompts, config={"max_concurrency": in_flight})
        elapsed = time.perf_counter() - started
        model.close()
        return len(prompts) / elapsed
    llm = ModelsLabLLM(api_key=SecretStr(KEY), **settings)

    async def run() -> float:
        await llm.acomplete(prompts[0])
        started = time.perf_counter()
        await asyncio.gather(*(llm.acomplete(p) for p in prompts))
        return time.perf_counter() - started

    return len(prompts) / asyncio.run(run())


def main() -> None:
    """Run the measurements and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["langchain", "llama_index"], default="langchain")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--per-worker", type=int, default=2, help="requests in flight per actor")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.25])
    parser.add_argument("--rounds", type=int, default=30, help="prompts per request slot")
    args = parser.parse_args()

    import ray

    print(
        f"machine: {os.cpu_count()} CPUs; framework: {args.framework}; "
        f"{args.per_worker} requests in flight per worker; requests/s\n"
    )
    print(
        "| simulated latency | workers | in flight | prompts | one process, no Ray "
        "| Ray, whole job | Ray, after start-up |"
    )
    print("|---|---|---|---|---|---|---|")
    with server_process() as root:
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        for latency in args.latency:
            url = base_url(root, latency)
            for workers in args.workers:
                slots = workers * args.per_worker
                prompts: list[Any] = [f"What is {n} + {n}?" for n in range(args.rounds * slots)]
                alone = one_process(args.framework, url, prompts, slots)
                result = run_batch(
                    prompts,
                    framework=args.framework,
                    base_url=url,
                    api_key=KEY,
                    workers=workers,
                    per_worker_concurrency=args.per_worker,
                    plan_limit=slots,
                    num_cpus_per_worker=0.2,
                    max_retries=0,
                    progress=False,
                )
                assert not result.failed, result.failed[0].error
                print(
                    f"| {latency:.2f} s | {workers} | {slots} | {len(prompts)} | {alone:.1f} | "
                    f"{result.requests_per_second:.1f} | "
                    f"{result.steady_requests_per_second:.1f} |",
                    flush=True,
                )
        ray.shutdown()


if __name__ == "__main__":
    main()
