"""Command line: ``modelslab-local serve [--host H] [--port P] [--api-key K] [--engine E]``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ._app import default_api_key
from ._llama_engine import ENGINE_ENV, ENGINES, describe_engine, make_engine
from ._script import load_script
from ._server import serve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelslab-local", description="A local ModelsLab-compatible LLM server."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the v7 LLM API on loopback")
    run.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8765, help="port to bind (default 8765)")
    run.add_argument(
        "--api-key",
        default=None,
        help="accepted API key (default: $MODELSLAB_LOCAL_API_KEY or 'modelslab-local')",
    )
    run.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get(ENGINE_ENV) or "auto",
        help="auto: the real model when the 'local-model' extra is installed, else "
        f"deterministic (default: ${ENGINE_ENV} or auto)",
    )
    run.add_argument(
        "--allow-unknown-models",
        action="store_true",
        help="serve model ids the catalog does not list instead of answering 404",
    )
    run.add_argument(
        "--script",
        metavar="FILE",
        default=None,
        help="answer with the replies in FILE, in order (a JSON list; see ScriptedEngine), "
        "instead of an engine",
    )
    run.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    key = args.api_key or default_api_key()
    # A key given on the command line is the user's secret: never echo it.
    shown = "(as given)" if args.api_key else f"'{key}'"
    try:
        engine = load_script(args.script) if args.script else make_engine(args.engine)
    except (OSError, RuntimeError, ValueError) as error:
        what = f"script {args.script!r}" if args.script else f"engine {args.engine!r}"
        print(f"modelslab-local: {what}: {error}", file=sys.stderr)
        return 1

    def announce(base_url: str) -> None:
        print(f"ModelsLab local server: {base_url}  API key: {shown}", flush=True)
        print(f"engine: {describe_engine(engine)}", flush=True)
        # Both variables are needed: the adapters refuse to call without a key.
        print("To use it from your own code, in another shell:", flush=True)
        print(f"  export MODELSLAB_BASE_URL={base_url}", flush=True)
        exported = "<the key you passed>" if args.api_key else key
        print(f"  export MODELSLAB_API_KEY={exported}", flush=True)

    try:
        serve(
            args.host,
            args.port,
            key,
            engine,
            allow_unknown_models=args.allow_unknown_models,
            log_level=args.log_level,
            on_ready=announce,
        )
    except OSError as error:
        print(
            f"modelslab-local: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
