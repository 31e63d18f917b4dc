"""Benchmarks behind ``qnb bench <name>``: numbers for the measured targets (NFR-003..NFR-006).

``qnb/cli/bench.py`` is only a dispatcher. Every module in this package that defines
``register_bench(subparsers)`` contributes sub-subcommands: it adds its parser(s) to the
``qnb bench`` subparsers and sets ``func=`` to a callable ``(args) -> int``. Adding a benchmark
never touches the dispatcher. Modules are imported lazily by the dispatcher, so heavy imports
(qiskit, trio) belong inside the benchmark functions.
"""

from __future__ import annotations

__all__ = ["percentile"]


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile ``p`` in [0, 100] (NaN for no values)."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)
