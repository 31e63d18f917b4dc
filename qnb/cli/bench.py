"""``qnb bench <name>``: dispatch to the benchmark modules in :mod:`qnb.bench`.

Each module there that defines ``register_bench(subparsers)`` adds its own sub-subcommands
(``compile`` lives in :mod:`qnb.bench.compile`); this file never needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["register"]


def register(subparsers) -> None:
    import qnb.bench as bench_pkg

    p = subparsers.add_parser("bench", help="run a benchmark (compile, fuzz, ...)",
                              description="Measure the targets of docs/planning.md and friends.")
    sub = p.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    for mod in sorted(pkgutil.iter_modules(bench_pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"qnb.bench.{mod.name}")
        hook = getattr(module, "register_bench", None)
        if hook is not None:
            hook(sub)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])
