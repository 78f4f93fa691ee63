"""Build the notebooks from their sources, run them, and store their outputs.

The sources are the ``src/*.py`` files beside this script, in the "percent" format: a line
``# %%`` starts a code cell and ``# %% [markdown]`` a Markdown cell (its lines are comments).
Each becomes ``<name>.ipynb`` here, executed from a clean kernel on this interpreter, with
its outputs stored so that it reads well on GitHub. Never edit an ``.ipynb`` by hand: edit its
source and run ``make notebooks``.

Usage::

    python notebooks/build.py                # every notebook, against the local server
    python notebooks/build.py 02_llama_index  # the notebooks whose name starts with that
    python notebooks/build.py --live         # keep MODELSLAB_API_KEY: run against ModelsLab
    python notebooks/build.py --check        # only check the stored notebooks are up to date
    python notebooks/build.py --readme       # rewrite README.md's catalog table

The tests (``tests/docs/``) import :func:`run`, :func:`check` and :func:`catalog_table`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCES = HERE / "src"
KERNEL_NAME = "python3"
CELL_TIMEOUT = 120  # seconds; a cell that takes longer is a bug, not a slow answer
# Environment variables that select ModelsLab itself; dropped unless --live.
LIVE_ENV = ("MODELSLAB_API_KEY", "MODELSLAB_BASE_URL")
_LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")


# --------------------------------------------------------------------------- sources


def sources() -> list[Path]:
    """Every notebook source, in name order."""
    return sorted(SOURCES.glob("*.py"))


def target(source: Path) -> Path:
    """Where the notebook built from ``source`` is stored."""
    return HERE / f"{source.stem}.ipynb"


def _cell(kind: str, lines: list[str], index: int) -> NotebookNode:
    text = "\n".join(lines).strip("\n")
    if kind == "markdown":
        text = "\n".join(re.sub(r"^# ?", "", line) for line in text.splitlines())
        cell = nbformat.v4.new_markdown_cell(text)
    else:
        cell = nbformat.v4.new_code_cell(text)
    cell.id = f"cell-{index:02d}"  # stable ids keep diffs small
    return cell


def parse(text: str) -> list[NotebookNode]:
    """Split a percent-format source into notebook cells."""
    cells: list[NotebookNode] = []
    kind: str | None = None
    lines: list[str] = []
    for line in [*text.splitlines(), "# %%"]:
        if line.startswith("# %%"):
            if kind is not None and "\n".join(lines).strip():
                cells.append(_cell(kind, lines, len(cells)))
            kind = "markdown" if "[markdown]" in line else "code"
            lines = []
        elif kind is None:
            if line.strip():
                raise ValueError(f"text before the first '# %%' marker: {line!r}")
        else:
            lines.append(line)
    return cells


def build(source: Path) -> NotebookNode:
    """The notebook for ``source``, without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(source.read_text(encoding="utf-8"))
    nb.metadata = {
        "kernelspec": {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


# --------------------------------------------------------------------------- execution


def kernel_env(*, live: bool = False) -> dict[str, str]:
    """The kernel's environment: this one, without the ModelsLab settings unless ``live``."""
    env = dict(os.environ)
    if not live:
        for name in LIVE_ENV:
            env.pop(name, None)
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the figures
    return env


def _kernel_manager(spec_dir: Path) -> Any:
    """A kernel manager whose only kernel is ``python3`` on this very interpreter.

    A ``python3`` kernelspec installed elsewhere (system-wide, another virtualenv) would
    otherwise win and run the notebooks without this project installed.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    kernel_dir = spec_dir / KERNEL_NAME
    kernel_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3",
        "language": "python",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def _warm_up() -> None:
    # On a fresh machine matplotlib builds its font cache on first import and may say so on
    # stderr; do it here, once, so that no notebook shows it (nor fails the stderr check).
    import matplotlib.font_manager  # noqa: F401


def run(nb: NotebookNode, env: Mapping[str, str]) -> NotebookNode:
    """Execute ``nb`` in place from a clean kernel, in this folder; raise on any error.

    Raises:
        nbclient.exceptions.CellExecutionError: A cell raised.
    """
    _warm_up()
    with tempfile.TemporaryDirectory(prefix="kernels-") as spec_dir:
        client = NotebookClient(
            nb,
            km=_kernel_manager(Path(spec_dir)),
            timeout=CELL_TIMEOUT,
            allow_errors=False,
            record_timing=False,
            resources={"metadata": {"path": str(HERE)}},
        )
        # The kernel manager is ours, so nbclient would leave the kernel running without this.
        client.execute(env=dict(env), cleanup_kc=True)
    return nb


# --------------------------------------------------------------------------- stored outputs


def _texts(nb: NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append(output["text"])
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/"):
                    texts.append(data if isinstance(data, str) else "".join(data))
    return texts


def problems(nb: NotebookNode, env: Mapping[str, str] | None = None) -> list[str]:
    """What must not be stored: errors, stderr, this machine's paths, a key."""
    env = os.environ if env is None else env
    found = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {i}: error {output.get('ename')}")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {i}: stderr: {output['text'][:300]!r}")
    secrets = [v for k, v in env.items() if k.endswith("API_KEY") and len(v) >= 8]
    private = [str(ROOT), str(Path.home()), *secrets]
    for text in _texts(nb):
        found.extend(f"output shows {p[:4]}..." for p in private if p and p in text)
    return found


def _merge_streams(outputs: list[NotebookNode]) -> list[NotebookNode]:
    # Each flush is its own output; Jupyter shows consecutive ones as one text, GitHub does not.
    merged: list[NotebookNode] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and output.get("output_type") == last.get("output_type") == "stream"
            and output.get("name") == last.get("name")
        ):
            last["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def tidy(nb: NotebookNode) -> NotebookNode:
    """Merge streamed text, drop what changes from run to run (ports, per-run metadata)."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = _merge_streams(cell.outputs)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _LOOPBACK_PORT.sub(r"\1:PORT", output["text"])
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(data, str):
                    output["data"][mime] = _LOOPBACK_PORT.sub(r"\1:PORT", data)
    return nb


def _sources_of(nb: NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def check(source: Path) -> list[str]:
    """Why the stored notebook for ``source`` is out of date or unfit (empty: all good)."""
    path = target(source)
    if not path.exists():
        return [f"{path.name} is missing"]
    stored = nbformat.read(path, as_version=4)
    found = []
    if _sources_of(stored) != _sources_of(build(source)):
        found.append(f"{path.name} does not match {source.name}")
    if any(c.cell_type == "code" and c.execution_count is None for c in stored.cells):
        found.append(f"{path.name} has cells that were not run")
    return found + [f"{path.name}: {p}" for p in problems(stored, env={})]


# --------------------------------------------------------------------------- README


README = ROOT / "README.md"
CATALOG_START = "<!-- catalog:start (generated by `make docs` from list_catalog()) -->"
CATALOG_END = "<!-- catalog:end -->"


def _fact(value: object) -> str:
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}"


def _efforts(efforts: tuple[str, ...] | None) -> str:
    if efforts is None:
        return "?"
    return ", ".join(efforts) if efforts else "no"


def catalog_table() -> str:
    """The README's catalog table, from ``modelslab_transport.list_catalog()``."""
    from modelslab_transport import list_catalog

    columns = ["Model", "Context", "Max output", "$ in / M", "$ out / M"]
    columns += ["Vision", "Tools", "JSON mode", "Reasoning text", "Reasoning efforts"]
    lines = ["| " + " | ".join(columns) + " |", "|---|" + "--:|" * 4 + ":-:|" * 5]
    for m in list_catalog():
        facts = [m.context_window, m.max_output_tokens, m.input_price, m.output_price]
        flags = [m.vision, m.tools, m.json_mode, m.reasoning]
        cells = [_fact(v) for v in facts + flags] + [_efforts(m.reasoning_efforts)]
        lines.append(f"| `{m.id}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_with_catalog(text: str) -> str:
    """``text`` (README.md) with the table between the catalog markers regenerated."""
    start, end = text.find(CATALOG_START), text.find(CATALOG_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs the lines {CATALOG_START!r} and {CATALOG_END!r}")
    head = text[: start + len(CATALOG_START)]
    return f"{head}\n{catalog_table()}\n{text[end:]}"


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """Build, run and store the selected notebooks (or only check them)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only notebooks whose name starts with these")
    parser.add_argument("--live", action="store_true", help="keep MODELSLAB_API_KEY")
    parser.add_argument("--check", action="store_true", help="check, do not build")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's catalog")
    args = parser.parse_args(argv)
    if args.readme:
        README.write_text(readme_with_catalog(README.read_text(encoding="utf-8")), "utf-8")
        print(f"wrote the catalog table in {README.name}")
        return 0
    chosen = [s for s in sources() if not args.names or s.stem.startswith(tuple(args.names))]
    if not chosen:
        parser.error(f"no notebook source matches {args.names}")
    if args.check:
        found = [p for s in chosen for p in check(s)]
        print("\n".join(found) or f"{len(chosen)} notebooks up to date")
        return 1 if found else 0
    env = kernel_env(live=args.live)
    for source in chosen:
        print(f"running {source.name} ...", flush=True)
        nb = tidy(run(build(source), env))
        found = problems(nb, env)
        if found:
            print("\n".join(found), file=sys.stderr)
            return 1
        nbformat.write(nb, target(source))
        print(f"wrote {target(source).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
