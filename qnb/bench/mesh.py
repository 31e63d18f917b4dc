"""Mesh benchmarks (NFR-004, NFR-005, NFR-006): orchestration overhead, dispatch throughput, scale.

Numbers, not tests: each function starts a real embedded mesh, measures, stops it, and returns
one JSON-able dict. ``qnb bench overhead|throughput|scale`` print them.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

from . import percentile

__all__ = ["bench_overhead", "bench_throughput", "bench_scale"]


def _settings(**over: Any):
    from ..testing import test_settings
    return test_settings(**over)


def _chain_circuit(n: int, layers: int) -> str:
    """A circuit whose chain of cx gates crosses every node boundary in every layer."""
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";', f"qubit[{n}] q;", f"bit[{n}] c;"]
    for _ in range(layers):
        lines.append("h q[0];")
        lines += [f"cx q[{i}], q[{i + 1}];" for i in range(n - 1)]
        lines += [f"rz(0.1) q[{i}];" for i in range(n)]
    lines.append("c = measure q;")
    return "\n".join(lines)


def bench_overhead(*, nodes: int = 4, qubits_per_node: int = 2, layers: int = 6, jobs: int = 5,
                   rtt_samples: int = 300) -> dict:
    """Per remote fragment orchestration overhead (wall minus simulated quantum work) beside raw RTT."""
    import qnb
    from ..mesh.rtt import measure_rtt

    mesh = qnb.start(nodes=nodes, qubits_per_node=qubits_per_node, seed=1, noiseless=True, store=":memory:",
                     settings=_settings())
    try:
        qasm = _chain_circuit(nodes * qubits_per_node, layers)
        overheads: list[float] = []
        sims: list[float] = []
        remote = 0
        for j in range(jobs):
            res = mesh.run(qasm, shots=100, seed=j, timeout=300)
            kinds = {f.fragment_id: f.kind for f in res.fragments}
            for a in res.attempts:
                if a.status == "ok" and kinds.get(a.fragment_id) == "remote":
                    overheads.append(a.overhead_ms)
                    sims.append(a.sim_ms)
                    remote += 1
        coord = mesh.coordinator
        peer = coord.registry.name_to_peer(mesh.node_names()[0])
        rtt = mesh.call(measure_rtt, coord.host, peer, rtt_samples)
    finally:
        mesh.stop()
    return {
        "benchmark": "overhead", "nodes": nodes, "qubits_per_node": qubits_per_node, "fragments": remote,
        "overhead_p50_ms": round(percentile(overheads, 50), 3), "overhead_p95_ms": round(percentile(overheads, 95), 3),
        "sim_p50_ms": round(percentile(sims, 50), 3),
        "rtt_p50_ms": round(rtt["p50_ms"], 3), "rtt_p95_ms": round(rtt["p95_ms"], 3),
        "target_overhead_p95_ms": 5.0,
    }


def bench_throughput(*, nodes: int = 8, jobs: int = 40, in_flight: int = 8, qubits: int = 24) -> dict:
    """Fragments per second dispatched by one coordinator (plan-and-timing mode: no quantum work,
    so the figure is pure orchestration: planning, reservation, RPC, bookkeeping)."""
    import qnb

    settings = _settings(limits={"max_jobs_in_flight": in_flight})
    mesh = qnb.start(nodes=nodes, qubits_per_node=max(2, qubits // nodes), seed=1, noiseless=True,
                     store=":memory:", settings=settings)
    try:
        qasm = _chain_circuit(qubits, 3)   # 24 qubits > the state limits: plan-and-timing mode
        t0 = time.perf_counter()
        handles = [mesh.submit(qasm, shots=10, seed=i, noisy=False, plan_only=True) for i in range(jobs)]
        results = [h.wait(600) for h in handles]
        wall = time.perf_counter() - t0
    finally:
        mesh.stop()
    frags = sum(sum(1 for a in r.attempts if a.status == "ok") for r in results)
    return {"benchmark": "throughput", "nodes": nodes, "jobs": jobs, "in_flight": in_flight,
            "fragments": frags, "wall_s": round(wall, 3), "fragments_per_s": round(frags / wall, 1),
            "completed": sum(1 for r in results if r.ok), "mode": results[0].mode if results else None,
            "target_fragments_per_s": 500}


def _rss_mb() -> float:
    try:
        with open(f"/proc/{os.getpid()}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scale(*, nodes: int = 100) -> dict:
    """Time until the registry holds all N nodes, and resident memory per node (NFR-006)."""
    import qnb

    gc.collect()
    before = _rss_mb()
    t0 = time.perf_counter()
    # default advert interval and TTL (1 s / 3 s), not the fast test settings
    mesh = qnb.start(nodes=nodes, qubits_per_node=4, seed=1, store=":memory:",
                     settings=_settings(intervals={"advertise_s": 1.0, "ttl_s": 3.0}))
    try:
        complete = time.perf_counter() - t0
        registered = sum(1 for r in mesh.nodes() if r["available"])
        after = _rss_mb()
    finally:
        t1 = time.perf_counter()
        mesh.stop()
        stop_s = time.perf_counter() - t1
    return {"benchmark": "scale", "nodes": nodes, "registered": registered,
            "registry_complete_s": round(complete, 3), "rss_mb_per_node": round((after - before) / nodes, 3),
            "stop_s": round(stop_s, 3), "target_registry_complete_s": 5.0}


# ------------------------------------------------------------------------------ CLI
def register_bench(subparsers) -> None:
    p = subparsers.add_parser("overhead", help="orchestration overhead per remote fragment beside raw RTT (NFR-004)")
    p.add_argument("--nodes", type=int, default=4)
    p.add_argument("--jobs", type=int, default=5)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda a: _emit(bench_overhead(nodes=a.nodes, jobs=a.jobs, layers=a.layers), a.json))

    p = subparsers.add_parser("throughput", help="fragments per second dispatched by one coordinator (NFR-005)")
    p.add_argument("--nodes", type=int, default=8)
    p.add_argument("--jobs", type=int, default=40)
    p.add_argument("--in-flight", type=int, default=8)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda a: _emit(bench_throughput(nodes=a.nodes, jobs=a.jobs, in_flight=a.in_flight), a.json))

    p = subparsers.add_parser("scale", help="time until the registry holds N nodes, memory per node (NFR-006)")
    p.add_argument("--nodes", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda a: _emit(bench_scale(nodes=a.nodes), a.json))


def _emit(result: dict, as_json: bool) -> int:
    import json
    if as_json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:28s} {v}")
    return 0
