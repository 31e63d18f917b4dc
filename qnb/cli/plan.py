"""``qnb plan FILE --topology T``: compile a circuit (ingest + plan) and show the plan (FR-004).

Exit status 0 with a human summary, or one JSON object with ``--json``. Bad input (QASM errors,
unknown topology, infeasible request) exits 2 with ``{"error": {"type", "message", "line",
"column", ...}}``.
"""

from __future__ import annotations

import json
import time

__all__ = ["register", "run", "plan_summary"]


def register(subparsers) -> None:
    p = subparsers.add_parser("plan", help="partition a circuit over a topology and show the fragment DAG",
                              description="Compile (ingest + plan) a circuit and print the placed fragment DAG.")
    p.add_argument("file", metavar="FILE", help="OpenQASM 2/3 file (or a bundled circuit name such as ghz_5)")
    p.add_argument("--topology", "-t", default="hetero5",
                   help="TOML file, bundled name (hetero5, mesh10, mesh100, a2a_2x4...) or generator spec "
                        "such as all-to-all:3:4 (default: hetero5)")
    p.add_argument("--seed", type=int, default=0, help="planner seed (default 0)")
    p.add_argument("--min-fidelity", type=float, default=None, metavar="F",
                   help="require an estimated plan fidelity of at least F")
    p.add_argument("--exclude", action="append", default=[], metavar="NODE", help="node id not to use (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def plan_summary(plan, topology_name: str, ingest_ms: float) -> dict:
    """The JSON body of ``qnb plan --json`` (the plan plus compile timings)."""
    body = plan.to_json()
    body["fragments"] = [
        {"id": f.id, "node": f.node, "kind": f.kind, "ops": len(f.op_indices), "qubits": list(f.qubits),
         "peers": list(f.peers), "ebits": f.ebits, "estimated_fidelity": round(f.estimated_fidelity, 12),
         "duration_ns": round(f.duration_ns, 6)}
        for f in plan.fragments]
    body["topology"] = topology_name
    body["nodes_used"] = list(plan.nodes_used)
    body["ingest_ms"] = round(ingest_ms, 3)
    body["plan_ms"] = round(plan.compile_ms, 3)
    body["compile_ms"] = round(ingest_ms + plan.compile_ms, 3)
    return body


def _human(body: dict) -> str:
    lines = [
        f"circuit: {body['num_qubits']} qubits, {body['num_ops']} ops   topology: {body['topology']}",
        f"nodes used: {', '.join(body['nodes_used']) or '-'}",
        f"fragments: {len(body['fragments'])} ({sum(f['kind'] == 'remote' for f in body['fragments'])} remote), "
        f"edges: {len(body['edges'])}, remote gates: {body['remote_gates']}, ebits: {body['ebits']}",
        f"estimated fidelity: {body['estimated_fidelity']:.6g}",
        "cost: " + ", ".join(f"{k}={v:.6g}" for k, v in body["cost"].items()),
        f"compile: {body['compile_ms']:.2f} ms (ingest {body['ingest_ms']:.2f} ms + plan {body['plan_ms']:.2f} ms)",
        f"plan hash: {body['plan_hash']}",
        "",
        f"{'id':>4}  {'node':<10} {'kind':<8} {'ops':>5}  {'ebits':>5}  qubits / peers",
    ]
    for f in body["fragments"]:
        peers = f"  <-> {', '.join(f['peers'])}" if f["peers"] else ""
        lines.append(f"{f['id']:>4}  {f['node']:<10} {f['kind']:<8} {f['ops']:>5}  {f['ebits']:>5}  "
                     f"{f['qubits']}{peers}")
    return "\n".join(lines)


def run(args) -> int:
    from ..circuits import load
    from ..errors import QasmError, QnbError
    from ..planning import plan_circuit
    from ..topology import load_topology

    try:
        topo = load_topology(args.topology)
        t0 = time.perf_counter()
        try:
            circuit = load(args.file)
        except OSError as e:
            raise QasmError(f"cannot read {args.file}: {e.strerror or e}") from None
        ingest_ms = (time.perf_counter() - t0) * 1e3
        plan = plan_circuit(circuit, topo, seed=args.seed, min_fidelity=args.min_fidelity, exclude=args.exclude)
    except QnbError as e:
        # every CLI error carries a location, null when the problem is not in the source text
        e.fields.setdefault("line", None)
        e.fields.setdefault("column", None)
        raise
    body = plan_summary(plan, topo.name, ingest_ms)
    print(json.dumps(body) if args.json else _human(body))
    return 0
