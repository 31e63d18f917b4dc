"""``qnb kernel install [--user|--sys-prefix|--prefix P]``: register the ``qnb`` Jupyter kernel
(a stock ipykernel that preloads ``%load_ext qnb``, NB-1)."""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("kernel", help="manage the qnb Jupyter kernel spec")
    actions = p.add_subparsers(dest="kernel_command", metavar="ACTION")
    i = actions.add_parser("install", help="install the 'qnb' kernel spec")
    where = i.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user only")
    where.add_argument("--sys-prefix", action="store_true", help="install into this Python environment")
    where.add_argument("--prefix", metavar="PATH", help="install under PATH/share/jupyter/kernels")
    i.add_argument("--name", default="qnb", help="kernel name (default: qnb)")
    i.add_argument("--display-name", help="name shown in the launcher (default: 'qnb (Python 3)')")
    i.add_argument("--json", action="store_true", help="print the result as JSON")
    i.set_defaults(func=_install)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def _install(args: argparse.Namespace) -> int:
    from kernels_ext.install import install
    path = install(user=args.user, sys_prefix=args.sys_prefix, prefix=args.prefix, name=args.name,
                   display_name=args.display_name)
    if args.json:
        print(json.dumps({"installed": path, "name": args.name}))
    else:
        print(f"installed kernel spec {args.name!r} in {path}")
    return 0
