"""Import cost and first construction, each measured in a fresh interpreter.

For every client a child process imports the framework floor first (``BaseChatModel`` from
``langchain_core.language_models`` for LangChain — the package alone is a lazy stub that
loads nothing — ``llama_index.core.llms`` for LlamaIndex, nothing for the raw clients), then
the client's module; the second import's wall time and the growth of peak RSS are what the
client adds above the framework a user already has. The child then builds the
model twice: the first construction pays one-time set-up (a shared client, caches), the
second shows what each further model costs. It also reports whether ``openai`` or
``tiktoken`` ended up imported, and whether the floor alone had already imported them.

Peak RSS is the process's high-water mark: ``VmHWM`` from ``/proc/self/status`` where it
exists, because Linux carries ``ru_maxrss`` over from the parent across fork and exec (a child
of this large process would report the parent's peak); ``ru_maxrss`` elsewhere.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from typing import Any

from bench.clients import Case

HEAVY = ("openai", "tiktoken")

_SCRIPT = """
import json, resource, sys, time
URL = {url!r}
def rss():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
    except OSError:
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r if sys.platform == "darwin" else r * 1024
def heavy():
    return sorted(m for m in {heavy!r} if m in sys.modules)
{floor}
floor_heavy, r0, t0 = heavy(), rss(), time.perf_counter()
{target}
t1, r1 = time.perf_counter(), rss()
import_heavy = heavy()
obj = {construct}
t2 = time.perf_counter()
obj = {construct}
t3 = time.perf_counter()
print(json.dumps({{
    "import_s": t1 - t0, "rss_bytes": r1 - r0, "first_construct_s": t2 - t1,
    "construct_s": t3 - t2, "floor_heavy": floor_heavy, "import_heavy": import_heavy,
    "construct_heavy": heavy(),
}}))
"""


def _child(case: Case, url: str) -> dict[str, Any]:
    code = _SCRIPT.format(
        url=url,
        heavy=HEAVY,
        floor=case.floor_import,
        target=case.target_import,
        construct=case.construct,
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def measure_imports(case: Case, url: str, reps: int, warm_up: bool = True) -> dict[str, Any]:
    """Return medians over ``reps`` fresh interpreters (after one untimed warm-up).

    The warm-up writes bytecode caches, so the timed children import as a user's second and
    later runs do.
    """
    if warm_up:
        _child(case, url)
    runs = [_child(case, url) for _ in range(reps)]
    result: dict[str, Any] = {
        key: statistics.median(run[key] for run in runs)
        for key in ("import_s", "rss_bytes", "first_construct_s", "construct_s")
    }
    last = runs[-1]
    result["floor_heavy"] = last["floor_heavy"]
    result["heavy"] = sorted(set(last["import_heavy"]) | set(last["construct_heavy"]))
    return result
