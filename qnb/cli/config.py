"""``qnb config show | check | docs``: the effective settings, validation, and the generated reference (FR-011)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register", "DOCS_PATH"]

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("config", help="show, check or document the configuration",
                              description="Show, check or document the configuration (FR-011).")
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the effective settings (file + QNB_* environment)")
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    show.set_defaults(func=_show)
    check = sub.add_parser("check", help="validate a configuration file; exit 2 naming the bad key")
    check.add_argument("path", nargs="?", help="TOML file (default: --config, $QNB_CONFIG or ./qnb.toml)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=_check)
    docs = sub.add_parser("docs", help="regenerate docs/configuration.md from the settings model")
    docs.add_argument("--output", metavar="PATH", help=f"where to write (default: {DOCS_PATH})")
    docs.add_argument("--stdout", action="store_true", help="print instead of writing")
    docs.add_argument("--check", action="store_true", help="exit 1 if the file differs from the generated text")
    docs.set_defaults(func=_docs)


def _show(args: argparse.Namespace) -> int:
    from ..config import Settings
    settings = Settings.load(args.config)
    if args.json:
        print(json.dumps(settings.to_dict(redact=True)))
    else:
        if settings.source:
            print(f"# from {settings.source} and QNB_* environment variables")
        print(settings.to_toml(redact=True), end="")
    return 0


def _check(args: argparse.Namespace) -> int:
    from ..config import Settings
    settings = Settings.load(args.path or args.config)
    source = settings.source or "defaults (no file found)"
    if args.json:
        print(json.dumps({"ok": True, "source": source}))
    else:
        print(f"ok: {source}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from ..config import render_docs
    text = render_docs()
    if args.stdout:
        print(text, end="")
        return 0
    target = Path(args.output) if args.output else DOCS_PATH
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            print(f"{target} is out of date; run `qnb config docs`")
            return 1
        print(f"{target} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0
