"""``qnb bench compile``: compile latency (ingest + plan) against NFR-003, and ebits per circuit.

Cases (each run uses a fresh random circuit, ``seed = run index``):

* ``50ops-10nodes``: 12-qubit, 50-operation circuits, OpenQASM 3 text -> ``qnb.circuits.load`` ->
  ``plan_circuit`` on ``mesh10``; beside it qiskit's ``transpile`` (optimization_level=1, basis
  ``cx rz sx x``, no coupling map) of the same circuits, measured in the same run.
* ``5000ops-100nodes``: 100-qubit, 5,000-operation circuits on ``mesh100`` (at most 5 runs).

Each case reports wall-clock p50/p95 of the whole compile and of its two parts (ingest, plan), and
the process CPU time of the whole compile (``cpu_*``: less sensitive to other load on the machine,
which inflates wall time on a shared host). The ``ebits``
section plans every bundled benchmark circuit on ``all-to-all:K:ceil(n/K)`` for K = 2, 3, 4.
Untimed warm-up runs come first, so one-off imports and caches are not counted.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from . import percentile

__all__ = ["register_bench", "run_compile_bench", "bench_circuits", "SMALL", "LARGE"]

#: (name, qubits, ops, topology, max runs)
SMALL = ("50ops-10nodes", 12, 50, "mesh10", None)
LARGE = ("5000ops-100nodes", 100, 5000, "mesh100", 5)
TARGET_P95_MS = {"50ops-10nodes": 20.0, "5000ops-100nodes": 1000.0}
QISKIT_BASIS = ["cx", "rz", "sx", "x"]


def register_bench(subparsers) -> None:
    p = subparsers.add_parser("compile", help="compile latency p50/p95 (NFR-003) and ebits per circuit",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30, help="runs of the 50-op case (the 5,000-op case runs "
                                                        "min(runs, 5) times; default 30)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    from ..errors import QnbError

    if args.runs < 1:
        raise QnbError(f"--runs must be >= 1, got {args.runs}")
    result = run_compile_bench(runs=args.runs)
    print(json.dumps(result) if args.json else render(result))
    return 0


# ------------------------------------------------------------------ circuits
def bench_circuits() -> dict[str, Path]:
    """Bundled benchmark circuits by name (``data/circuits/*.qasm`` via ``qnb.circuits.bundled``)."""
    from ..circuits import bundled
    return dict(sorted(bundled().items()))


# ---------------------------------------------------------------- measuring
def _case(name: str, qubits: int, ops: int, topology: str, runs: int, with_qiskit: bool) -> dict:
    from ..circuits import load, random_circuit
    from ..planning import plan_circuit
    from ..topology import load_topology

    topo = load_topology(topology)
    texts = [random_circuit(qubits, ops, seed).to_qasm3() for seed in range(runs)]
    warm = random_circuit(qubits, ops, 10_000).to_qasm3()
    plan_circuit(load(warm), topo)  # warm-up: imports, topology path table
    ingest, plan, total, cpu, qiskit_ms, ebits = [], [], [], [], [], []
    for text in texts:
        c0 = time.process_time()
        t0 = time.perf_counter()
        circuit = load(text)
        t1 = time.perf_counter()
        p = plan_circuit(circuit, topo, seed=0)
        t2 = time.perf_counter()
        cpu.append((time.process_time() - c0) * 1e3)
        ingest.append((t1 - t0) * 1e3)
        plan.append((t2 - t1) * 1e3)
        total.append((t2 - t0) * 1e3)
        ebits.append(p.ebits)
    row = {"name": name, "runs": runs, "qubits": qubits, "ops": ops, "topology": topology,
           "p50_ms": round(percentile(total, 50), 3), "p95_ms": round(percentile(total, 95), 3),
           "ingest_p50_ms": round(percentile(ingest, 50), 3), "ingest_p95_ms": round(percentile(ingest, 95), 3),
           "plan_p50_ms": round(percentile(plan, 50), 3), "plan_p95_ms": round(percentile(plan, 95), 3),
           "cpu_p50_ms": round(percentile(cpu, 50), 3), "cpu_p95_ms": round(percentile(cpu, 95), 3),
           "mean_ebits": round(sum(ebits) / len(ebits), 2), "target_p95_ms": TARGET_P95_MS[name]}
    if with_qiskit:
        from qiskit import transpile

        circuits = [load(text).to_qiskit() for text in texts]
        transpile(circuits[0], basis_gates=QISKIT_BASIS, optimization_level=1, seed_transpiler=0)  # warm-up
        for qc in circuits:
            t0 = time.perf_counter()
            transpile(qc, basis_gates=QISKIT_BASIS, optimization_level=1, seed_transpiler=0)
            qiskit_ms.append((time.perf_counter() - t0) * 1e3)
        row["qiskit_transpile_p50_ms"] = round(percentile(qiskit_ms, 50), 3)
        row["qiskit_transpile_p95_ms"] = round(percentile(qiskit_ms, 95), 3)
    return row


def _ebits() -> list[dict]:
    from ..circuits import load
    from ..errors import QnbError
    from ..planning import plan_circuit
    from ..topology import generate

    rows = []
    for name, path in bench_circuits().items():
        try:
            circuit = load(path)
        except QnbError as e:
            rows.append({"circuit": name, "error": str(e)})
            continue
        n = circuit.num_qubits
        for k in (2, 3, 4):
            if n < k:
                continue
            q = math.ceil(n / k)
            p = plan_circuit(circuit, generate(f"all-to-all:{k}:{q}"), seed=0)
            rows.append({"circuit": name, "qubits": n, "k": k, "qubits_per_node": q,
                         "nodes_used": len(p.nodes_used), "ebits": p.ebits, "remote_gates": p.remote_gates,
                         "fragments": len(p.fragments), "estimated_fidelity": round(p.estimated_fidelity, 6)})
    return rows


def run_compile_bench(runs: int = 30) -> dict:
    """Measure both compile cases and the ebits table; return the JSON-able result."""
    cases = [_case(*SMALL[:4], runs=runs, with_qiskit=True),
             _case(*LARGE[:4], runs=min(runs, LARGE[4]), with_qiskit=False)]
    return {"benchmark": "compile", "cases": cases, "ebits": _ebits()}


def render(result: dict) -> str:
    lines = ["compile latency (ingest OpenQASM 3 text + plan), ms",
             f"{'case':<18} {'runs':>4} {'p50':>9} {'p95':>9} {'cpu p95':>9} {'ingest p50':>11} {'plan p50':>9} "
             f"{'target p95':>10} {'qiskit p50':>11}"]
    for c in result["cases"]:
        qk = c.get("qiskit_transpile_p50_ms")
        lines.append(f"{c['name']:<18} {c['runs']:>4} {c['p50_ms']:>9.2f} {c['p95_ms']:>9.2f} {c['cpu_p95_ms']:>9.2f} "
                     f"{c['ingest_p50_ms']:>11.2f} {c['plan_p50_ms']:>9.2f} {c['target_p95_ms']:>10.0f} "
                     f"{(f'{qk:.2f}' if qk is not None else '-'):>11}")
    lines += ["", "ebits on all-to-all:K:ceil(n/K)",
              f"{'circuit':<22} {'n':>3} {'K':>2} {'nodes':>5} {'ebits':>6} {'remote':>6} {'est. F':>8}"]
    for r in result["ebits"]:
        if "error" in r:
            lines.append(f"{r['circuit']:<22} error: {r['error']}")
            continue
        lines.append(f"{r['circuit']:<22} {r['qubits']:>3} {r['k']:>2} {r['nodes_used']:>5} {r['ebits']:>6} "
                     f"{r['remote_gates']:>6} {r['estimated_fidelity']:>8.4f}")
    return "\n".join(lines)
