"""Ingestion latency: ``python -m qnb.circuits.perf [--runs N]`` (the figures quoted in docs/ir.md).

Times :func:`qnb.circuits.load` on OpenQASM 3 text written by :func:`to_qasm3` for random circuits of
50 gates on 10 qubits and 5,000 gates on 100 qubits (the NFR-003 sizes), once through the
straight-line fast path and once through the full ANTLR parse + AST lowering.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from .export import to_qasm3
from .loader import load
from .qasm3 import loads_qasm3
from .random_circuit import random_circuit

__all__ = ["measure", "main"]


def _times(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e3)
    return sorted(out)


def measure(runs: int = 50) -> list[dict]:
    rows = []
    for qubits, ops in ((10, 50), (100, 5000)):
        text = to_qasm3(random_circuit(qubits, ops, seed=1, measure=True))
        load(text)  # warm imports and caches
        n = runs if ops < 1000 else max(3, runs // 10)
        fast = _times(lambda: load(text), n)
        full = _times(lambda: loads_qasm3(text, fast=False), max(1, n // 10))
        rows.append({"case": f"{ops}ops-{qubits}q", "runs": n, "fast_p50_ms": round(statistics.median(fast), 3),
                     "fast_p95_ms": round(fast[int(0.95 * (len(fast) - 1))], 3),
                     "full_parse_p50_ms": round(statistics.median(full), 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qnb.circuits.perf", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = measure(args.runs)
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['case']:>14}: fast path p50 {r['fast_p50_ms']:.2f} ms, p95 {r['fast_p95_ms']:.2f} ms "
                  f"({r['runs']} runs); full parse p50 {r['full_parse_p50_ms']:.0f} ms")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
