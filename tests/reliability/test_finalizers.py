"""Clients dropped in reference cycles: their finalizers run inside whatever code allocated.

The cyclic collector calls weakref callbacks on the thread that triggered it, at any
allocation, also while that thread is inside the key-redaction bookkeeping of a client being
built. A finalizer that waited for a lock held there would hang the process for good (seen:
the whole suite stuck on Python 3.12). The check runs in a child process that moves the
collection over every point of a client's construction, with a watchdog, so a hang fails the
test instead of the suite. (On 3.12 it caught the hang; 3.11 allocates differently there and
passed either way: CI's other Pythons run it too.)
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

_BUILD_AND_DROP = textwrap.dedent(
    """
    import gc, io, logging, os, threading, time

    import httpx
    from modelslab_transport import ModelsLabClient

    http = httpx.Client()  # shared: a client's own pool would cost an SSL context each
    step = [0]


    def watchdog():  # a stuck main thread ends the child with its own exit code
        last = -1
        while True:
            time.sleep(5)
            if step[0] == last:
                print("stuck at", last, flush=True)
                os._exit(3)
            last = step[0]


    threading.Thread(target=watchdog, daemon=True).start()
    # A dead client waits in the middle generation; the next collection of that generation
    # comes at the (k+1)-th tracked allocation while the next client is built: over k, it
    # comes at every point of a client's construction (3.12 stuck at k=14 before the fix).
    for k in range(400):
        gc.disable()
        dead = ModelsLabClient(api_key="sk-dead-abcdefgh", base_url="http://127.0.0.1:9",
                               http_client=http)
        dead.me = dead
        gc.collect(0)  # alive: moved to the middle generation
        del dead  # garbage there now
        gc.set_threshold(k, 0, 1_000_000)
        gc.enable()
        ModelsLabClient(api_key="sk-live-abcdefgh", base_url="http://127.0.0.1:9",
                        http_client=http)
        step[0] = k
    gc.set_threshold(700, 10, 10)
    gc.collect()

    # The keys of live clients are still redacted.
    live = ModelsLabClient(api_key="sk-live-still-here", base_url="http://127.0.0.1:9")
    out = io.StringIO()
    logger = logging.getLogger("modelslab_transport")
    logger.addHandler(logging.StreamHandler(out))
    logger.setLevel(logging.DEBUG)
    logger.debug("header echo: %s", "sk-live-still-here")
    assert "sk-live-still-here" not in out.getvalue(), out.getvalue()
    assert "***" in out.getvalue(), out.getvalue()
    print("done")
    """
)


def test_clients_dropped_in_cycles_never_hang_the_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_AND_DROP],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    assert done.stdout.strip() == "done"
