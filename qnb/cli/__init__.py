"""The ``qnb`` console script. One subcommand per module in this package.

Each module ``qnb/cli/<name>.py`` defines ``register(subparsers)`` that adds its parser and sets
``func=`` to a callable ``(args) -> int`` (the exit status). Adding a subcommand never touches this
file. Input errors (:class:`qnb.errors.QnbError`) print a structured message (JSON with
``--json``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qnb", description="Distributed quantum circuit orchestration over a libp2p mesh.")
    parser.add_argument("--config", metavar="PATH", help="configuration file (default: ./qnb.toml if present)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..errors import QnbError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except QnbError as e:
        if getattr(args, "json", False):
            print(json.dumps(e.to_json()))
        else:
            print(f"qnb: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
