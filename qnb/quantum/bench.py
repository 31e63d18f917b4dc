"""Per-call cost of ``execute_ops`` (the node's simulated quantum work), for docs/quantum.md.

    python -m qnb.quantum.bench [--repeat 200] [--max-qubits 20]

Prints median and p95 milliseconds per call for fragment sizes and state sizes, next to aer's own
floor (``AerSimulator.run`` of a circuit that only sets and saves the state), so the overhead qnb
adds is visible. Timing numbers belong here, never in unit tests.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from ..circuits.ir import Operation
from .executor import execute_ops
from .noise import NoiseParams
from .state import QuantumState


def _ops(n: int, count: int, rng: np.random.Generator) -> list[Operation]:
    ops = []
    for i in range(count):
        if n > 1 and i % 3 == 2:
            a, b = rng.choice(n, 2, replace=False)
            ops.append(Operation("cx", (int(a), int(b))))
        else:
            ops.append(Operation("rz" if i % 2 else "h", (int(rng.integers(n)),),
                                 params=(float(rng.normal()),) if i % 2 else ()))
    return ops


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()
    fn()
    xs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t) * 1e3)
    xs.sort()
    return statistics.median(xs), xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def _aer_floor(kind: str, n: int, repeat: int) -> tuple[float, float]:
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator
    sim = AerSimulator(method=kind, max_parallel_threads=1)
    data = QuantumState.initial(n, kind).data

    def run():
        qc = QuantumCircuit(n)
        (qc.set_statevector if kind == "statevector" else qc.set_density_matrix)(data)
        (qc.save_statevector if kind == "statevector" else qc.save_density_matrix)()
        sim.run(qc).result()
    return _time(run, repeat)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--max-qubits", type=int, default=20, help="skip cases with more qubits")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    noise = NoiseParams(0.999, 0.99, 0.98)
    print(f"{'kind':15} {'qubits':>6} {'ops':>4} {'median ms':>10} {'p95 ms':>8}")
    cases = [("statevector", 4, 1), ("statevector", 4, 5), ("statevector", 4, 20), ("statevector", 10, 5),
             ("statevector", 16, 5), ("statevector", 20, 5),
             ("density_matrix", 4, 1), ("density_matrix", 4, 5), ("density_matrix", 4, 20),
             ("density_matrix", 8, 5), ("density_matrix", 10, 5)]
    for kind, n, count in [c for c in cases if c[1] <= args.max_qubits]:
        ops = _ops(n, count, rng)
        state = QuantumState.initial(n, kind)
        rep = args.repeat if n <= 12 else max(5, args.repeat // 20)
        med, p95 = _time(lambda: execute_ops(ops, state, noise if kind == "density_matrix" else None), rep)
        print(f"{kind:15} {n:6d} {count:4d} {med:10.3f} {p95:8.3f}")
    for kind, n in [("statevector", 4), ("density_matrix", 4)]:
        med, p95 = _aer_floor(kind, n, args.repeat)
        label = "aer-floor-sv" if kind == "statevector" else "aer-floor-dm"
        print(f"{label:15} {n:6d} {0:4d} {med:10.3f} {p95:8.3f}   (AerSimulator.run, set+save only)")


if __name__ == "__main__":  # pragma: no cover
    main()
