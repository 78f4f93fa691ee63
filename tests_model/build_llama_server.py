"""Build llama.cpp's own C++ ``llama-server`` for the real-model tier, once, and cache it.

The source is the llama-cpp-python sdist from the package index (the same pinned version the
``local-model`` extra compiles): it vendors all of llama.cpp, server included. The binary goes
to ``$XDG_CACHE_HOME/modelslab-integrations/llama-server-<version>-<flags hash>/`` (default
``~/.cache``), so a second run, or a new clone, prints the path and builds nothing. CMake and
Ninja print ``[step/total]`` lines as they go, so a build is never silent.

Usage: ``python tests_model/build_llama_server.py [--print-path]``. ``--print-path`` only
prints where the binary is (or would be) and exits 1 when it is not built yet.
``LLAMA_SERVER_BIN=/path/to/llama-server`` uses (or builds into) another place.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

VERSION = "0.3.36"
# Portable code (no -march=native: a cached binary must not SIGILL on another CPU), no web UI
# download (LLAMA_USE_PREBUILT_UI), no network libraries, one static binary.
FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DGGML_NATIVE=OFF",
    "-DBUILD_SHARED_LIBS=OFF",
)
# A tool-capable ChatML template from the same tree (SmolLM2's own template has no tools).
TEMPLATE = "models/templates/Qwen-Qwen2.5-7B-Instruct.jinja"
USUAL_TIME = "about 4 min on 2 idle cores, 20 min or more on a shared one"


def cache_dir() -> Path:
    """The folder holding the binary for this version and these flags."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(" ".join((VERSION, *FLAGS)).encode()).hexdigest()[:10]
    return root / "modelslab-integrations" / f"llama-server-{VERSION}-{key}"


def binary() -> Path:
    """Where the cached ``llama-server`` is (or will be); ``LLAMA_SERVER_BIN`` overrides it."""
    override = os.environ.get("LLAMA_SERVER_BIN")
    return Path(override) if override else cache_dir() / "llama-server"


def template() -> Path:
    """The tool-capable chat template, kept next to the binary."""
    return binary().parent / Path(TEMPLATE).name


def _run(cmd: list[str], cwd: Path, started: float) -> None:
    """Run ``cmd``, echoing each line with the elapsed time: the progress a user sees."""
    with subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            minutes, seconds = divmod(int(time.monotonic() - started), 60)
            print(f"  {minutes:2d}:{seconds:02d} {line.rstrip()}", flush=True)
    if proc.returncode:
        sys.exit(f"llama-server build failed ({' '.join(cmd[:3])}... exited {proc.returncode})")


def _sdist(folder: Path) -> Path:
    """Download the pinned sdist with pip (the ordinary client of the package index)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"llama-cpp-python=={VERSION}",
            "-d",
            str(folder),
        ],
        check=True,
    )
    return next(folder.glob("llama_cpp_python-*.tar.gz"))


def build() -> Path:
    """Build the binary unless it is cached; return its path."""
    if binary().is_file():
        print(f"llama-server {VERSION}: cached at {binary()}")
        return binary()
    print(f"Building llama.cpp's llama-server {VERSION} from source ({USUAL_TIME}, once).")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llama-server-build-") as tmp:
        work = Path(tmp)
        print("Downloading the llama-cpp-python sdist (76 MB)...", flush=True)
        with tarfile.open(_sdist(work)) as archive:
            archive.extractall(work, filter="data")
        source = next(work.glob("llama_cpp_python-*")) / "vendor" / "llama.cpp"
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        _run(["cmake", "-B", "build", *generator, *FLAGS], source, started)
        jobs = os.environ.get("LLAMA_SERVER_JOBS", "2")
        _run(
            ["cmake", "--build", "build", "--target", "llama-server", "-j", jobs],
            source,
            started,
        )
        binary().parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / TEMPLATE, template())
        # Copied last: the binary's presence is what marks the cache complete.
        shutil.copy2(source / "build" / "bin" / "llama-server", binary())
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    print(f"llama-server built in {minutes}:{seconds:02d}: {binary()}")
    return binary()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print-path", action="store_true", help="print the path, build nothing")
    if parser.parse_args().print_path:
        print(binary())
        sys.exit(0 if binary().is_file() else 1)
    build()


if __name__ == "__main__":
    main()
