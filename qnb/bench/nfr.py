"""``qnb bench nfr``: every measured target (NFR-001..NFR-007) beside its measured value.

Runs the benchmarks with the given (small by default) parameters and returns one row per
measurement: ``benchmark`` (the NFR id), ``metric``, ``value``, ``unit``, ``comparison`` and
``target``, ``passed``, plus the raw benchmark output in ``detail``. The mesh benchmarks are the
integrator's (:mod:`qnb.bench.mesh`), compile latency is :mod:`qnb.bench.compile`; this module
adds reproducibility across processes (NFR-001), recovery under a transient fault (NFR-002) and
noiseless correctness (NFR-007). With ``db`` the rows go to DuckDB (``nfr_results``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Any, Callable, Sequence

__all__ = ["register_bench", "run_nfr", "render", "NFR_BENCHMARKS"]

NFR_BENCHMARKS = ("reproducibility", "recovery", "compile", "overhead", "throughput", "scale", "correctness")


def register_bench(subparsers) -> None:
    p = subparsers.add_parser("nfr", help="all measured targets (NFR-001..007) beside their values",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default=None, help=f"comma-separated subset of {', '.join(NFR_BENCHMARKS)}")
    p.add_argument("--compile-runs", type=int, default=20)
    p.add_argument("--overhead-jobs", type=int, default=3)
    p.add_argument("--throughput-jobs", type=int, default=16)
    p.add_argument("--scale-nodes", type=int, default=20, help="nodes of the scale benchmark (NFR-006 names 100)")
    p.add_argument("--db", default=None, help="DuckDB file for the rows (nfr_results)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cli)


def _row(benchmark: str, metric: str, value: Any, unit: str, comparison: str, target: float | None,
         detail: Any = None, params: dict | None = None) -> dict:
    passed = None
    if value is not None and target is not None:
        passed = bool(value <= target) if comparison == "<=" else bool(value >= target)
    return {"benchmark": benchmark, "metric": metric, "value": None if value is None else float(value),
            "unit": unit, "comparison": comparison, "target": target, "passed": passed,
            "params": params or {}, "detail": detail or {}, "measured_at": time.time()}


# ----------------------------------------------------------------------- benchmarks
_PLAN_HASHES = """
import json, sys
from qnb.circuits import load
from qnb.planning import plan_circuit
from qnb.topology import load_topology
names, topo, seed = json.loads(sys.argv[1])
t = load_topology(topo)
print(json.dumps({n: plan_circuit(load(n), t, seed=seed).plan_hash for n in names}))
"""


def _circuit_names(names: Sequence[str] | None) -> list[str]:
    if names:
        return list(names)
    from ..harness.compare import default_circuits
    return default_circuits()


def nfr_reproducibility(circuits: Sequence[str] | None = None, topology: str = "mesh10", seed: int = 7) -> list[dict]:
    """NFR-001: plan each circuit here and in a fresh interpreter (another hash seed): identical bytes?"""
    from ..circuits import load
    from ..planning import plan_circuit
    from ..topology import load_topology

    names = _circuit_names(circuits)
    topo = load_topology(topology)
    here = {}
    same_process = True
    for n in names:
        a = plan_circuit(load(n), topo, seed=seed)
        b = plan_circuit(load(n), topo, seed=seed)
        same_process &= a.canonical_bytes() == b.canonical_bytes()
        here[n] = a.plan_hash
    out = subprocess.run([sys.executable, "-c", _PLAN_HASHES, json.dumps([names, topology, seed])],
                         capture_output=True, text=True, timeout=300, env=_env_random_hash())
    if out.returncode != 0:
        raise RuntimeError(f"plan subprocess failed: {out.stderr.strip()[-500:]}")
    there = json.loads(out.stdout.strip().splitlines()[-1])
    identical = sum(1 for n in names if here[n] == there.get(n)) / len(names)
    return [_row("NFR-001", "identical plans across processes", identical, "fraction", ">=", 1.0,
                 {"same_process": same_process, "hashes": here, "other_process": there},
                 {"circuits": names, "topology": topology, "seed": seed})]


def _env_random_hash() -> dict:
    import os
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "random"
    return env


def nfr_recovery(circuit: str | None = None, topology: str | None = None, seed: int = 7,
                 scenario: str = "node-drop") -> list[dict]:
    """NFR-002: the busiest node drops as execution starts; the distributed runner must fall back by itself.

    ``node-drop`` (no return) is the default because it makes a fallback necessary; with
    ``node-blip`` a retry on the same node may win the race against the node's return."""
    from ..harness.compare import DEFAULT_TOPOLOGY, compare
    name = circuit or _circuit_names(None)[0]
    res = compare([name], topology=topology or DEFAULT_TOPOLOGY, scenarios=[scenario], modes=["distributed"],
                  repeat=1, shots=256, seed=seed, warmup=False)
    r = res.rows[0]
    recovered = r["replans"] if r.get("replans") is not None else (r.get("fallbacks") or 0)
    detail = {k: r.get(k) for k in ("status", "error_type", "retries", "fallbacks", "replans", "wall_ms", "faults")}
    return [_row("NFR-002", f"automatic re-plans / fallbacks ({scenario})", recovered if r["success"] else 0,
                 "count", ">=", 1, detail, {"circuit": name, "scenario": scenario, "seed": seed})]


def nfr_compile(runs: int = 20) -> list[dict]:
    """NFR-003 via :func:`qnb.bench.compile.run_compile_bench`."""
    from .compile import run_compile_bench
    res = run_compile_bench(runs=runs)
    rows = []
    for c in res["cases"]:
        rows.append(_row("NFR-003", f"compile p95 {c['name']}", c["p95_ms"], "ms", "<=", c["target_p95_ms"],
                         {k: v for k, v in c.items() if k != "name"}, {"runs": c["runs"]}))
    return rows


def nfr_overhead(jobs: int = 3) -> list[dict]:
    """NFR-004 via :func:`qnb.bench.mesh.bench_overhead`, with the raw libp2p RTT beside it."""
    from .mesh import bench_overhead
    r = bench_overhead(jobs=jobs)
    return [_row("NFR-004", "overhead p95 per remote fragment", r["overhead_p95_ms"], "ms", "<=",
                 r.get("target_overhead_p95_ms", 5.0), r, {"jobs": jobs}),
            _row("NFR-004", "raw libp2p RTT p95 (same run)", r["rtt_p95_ms"], "ms", "", None, {}, {})]


def nfr_throughput(jobs: int = 16) -> list[dict]:
    """NFR-005 via :func:`qnb.bench.mesh.bench_throughput`."""
    from .mesh import bench_throughput
    r = bench_throughput(jobs=jobs)
    return [_row("NFR-005", "dispatch throughput", r["fragments_per_s"], "fragments/s", ">=",
                 r.get("target_fragments_per_s", 500), r, {"jobs": jobs})]


def nfr_scale(nodes: int = 20) -> list[dict]:
    """NFR-006 via :func:`qnb.bench.mesh.bench_scale` (the target names 100 nodes)."""
    from .mesh import bench_scale
    r = bench_scale(nodes=nodes)
    return [_row("NFR-006", f"registry complete, {nodes} nodes", r["registry_complete_s"], "s", "<=",
                 r.get("target_registry_complete_s", 5.0), r, {"nodes": nodes}),
            _row("NFR-006", f"nodes registered of {nodes}", r["registered"], "nodes", ">=", nodes, {}, {})]


def nfr_correctness(circuits: Sequence[str] | None = None, topology: str = "all-to-all:4:4") -> list[dict]:
    """NFR-007: a noiseless distributed run reproduces the ideal state (state fidelity >= 1 - 1e-9)."""
    import qnb
    from ..circuits import load
    from ..harness.compare import _bench_settings
    from ..topology import load_topology

    names = _circuit_names(circuits)
    cap = load_topology(topology).total_qubits
    settings = _bench_settings()
    per: dict[str, Any] = {}
    mesh = qnb.start(topology=topology, seed=1, noiseless=True, store=":memory:", settings=settings)
    try:
        for n in names:
            c = load(n)
            if c.num_qubits > min(cap, settings.limits.statevector_max_qubits):
                per[n] = {"skipped": f"{c.num_qubits} qubits exceed the mesh or the state limit"}
                continue
            res = mesh.run(c, shots=256, seed=1, timeout=300)
            per[n] = {"status": res.status, "state_fidelity": res.state_fidelity, "fragments": len(res.fragments)}
    finally:
        mesh.stop()
    fids = [v["state_fidelity"] for v in per.values() if v.get("state_fidelity") is not None]
    ok_runs = [v for v in per.values() if "skipped" not in v]
    worst = min(fids) if fids and len(fids) == len(ok_runs) else (0.0 if ok_runs else None)
    return [_row("NFR-007", "min state fidelity, noiseless distributed", worst, "fidelity", ">=", 1 - 1e-9, per,
                 {"circuits": names, "topology": topology})]


# ----------------------------------------------------------------------- entry
def run_nfr(*, only: Sequence[str] | str | None = None, compile_runs: int = 20, overhead_jobs: int = 3,
            throughput_jobs: int = 16, scale_nodes: int = 20, circuits: Sequence[str] | None = None,
            db: str | None = None, progress: Callable[[str, list[dict]], None] | None = None) -> dict:
    """Run the NFR benchmarks; a failing benchmark becomes a row with its error, never a crash."""
    from ..errors import QnbError
    chosen = [s.strip() for s in only.split(",")] if isinstance(only, str) else list(only or NFR_BENCHMARKS)
    bad = [c for c in chosen if c not in NFR_BENCHMARKS]
    if bad:
        raise QnbError(f"unknown NFR benchmark(s) {bad}; expected {', '.join(NFR_BENCHMARKS)}", field="only")
    calls: dict[str, Callable[[], list[dict]]] = {
        "reproducibility": lambda: nfr_reproducibility(circuits),
        "recovery": lambda: nfr_recovery(circuits[0] if circuits else None),
        "compile": lambda: nfr_compile(compile_runs),
        "overhead": lambda: nfr_overhead(overhead_jobs),
        "throughput": lambda: nfr_throughput(throughput_jobs),
        "scale": lambda: nfr_scale(scale_nodes),
        "correctness": lambda: nfr_correctness(circuits),
    }
    exp = f"nfr-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    params = {"only": chosen, "compile_runs": compile_runs, "overhead_jobs": overhead_jobs,
              "throughput_jobs": throughput_jobs, "scale_nodes": scale_nodes, "circuits": circuits}
    if db:
        from ..harness import results
        results.start_experiment(db, exp, params, kind="nfr", name="nfr")
    t0 = time.perf_counter()
    rows: list[dict] = []
    for name in chosen:
        tb = time.perf_counter()
        try:
            got = calls[name]()
        except Exception as e:  # noqa: BLE001 - one broken benchmark must not hide the others
            got = [_row(name, "error", None, "", "", None, {"error": f"{type(e).__name__}: {e}"})]
        for r in got:
            r["detail"] = dict(r["detail"] or {}, bench_s=round(time.perf_counter() - tb, 3))
        rows += got
        if progress is not None:
            progress(name, got)
    wall = time.perf_counter() - t0
    if db:
        from ..harness import results
        results.save_nfr(db, exp, rows)
        results.finish_experiment(db, exp, wall, len(rows))
    return {"experiment_id": exp, "db": db, "wall_s": round(wall, 3), "params": params, "results": rows}


def render(result: dict) -> str:
    lines = [f"{'benchmark':<9} {'metric':<44} {'measured':>12} {'unit':<12} {'target':>14} {'met':>4}"]
    for r in result["results"]:
        v = "-" if r["value"] is None else f"{r['value']:.10g}"
        t = "" if r["target"] is None else f"{r['comparison']} {r['target']:.10g}"
        met = {True: "yes", False: "NO", None: ""}[r["passed"]]
        lines.append(f"{r['benchmark']:<9} {r['metric']:<44} {v:>12} {r['unit']:<12} {t:>14} {met:>4}")
        if r["metric"] == "error":
            lines.append(f"          {r['detail'].get('error')}")
    lines.append(f"({result['wall_s']:.1f} s)")
    return "\n".join(lines)


def _cli(args) -> int:
    result = run_nfr(only=args.only, compile_runs=args.compile_runs, overhead_jobs=args.overhead_jobs,
                     throughput_jobs=args.throughput_jobs, scale_nodes=args.scale_nodes, db=args.db)
    print(json.dumps(result, default=str) if args.json else render(result))
    return 0
