"""``qnb run FILE``: run one circuit on an embedded mesh (``--nodes N``) or on running nodes (``--bootstrap``)."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("run", help="run a circuit on an embedded mesh or on running nodes")
    p.add_argument("file", help="OpenQASM 2/3 file or a bundled circuit name (e.g. ghz_5)")
    p.add_argument("--nodes", type=int, default=None, help="embedded nodes to start (default from config: 5)")
    p.add_argument("--bootstrap", action="append", default=[], metavar="MULTIADDR",
                   help="full multiaddr of a running `qnb node` (repeatable); no embedded nodes are started")
    p.add_argument("--topology", default=None, help="TOML path, bundled name or generator spec")
    p.add_argument("--qubits-per-node", type=int, default=None, help="qubit slots per embedded node (default 4)")
    p.add_argument("--noiseless", action="store_true", help="ideal nodes and links (state fidelity is reported)")
    p.add_argument("--shots", type=int, default=1024)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--min-fidelity", type=float, default=None)
    p.add_argument("--store", default=None, help="DuckDB file (default from config)")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def result_json(res) -> dict:
    return {
        "job_id": res.job_id, "status": res.status, "counts": res.counts,
        "measured_fidelity": res.measured_fidelity, "estimated_fidelity": res.estimated_fidelity,
        "state_fidelity": res.state_fidelity, "ebits": res.ebits, "remote_gates": res.remote_gates,
        "fragments": [{"id": f.fragment_id, "node": f.node, "kind": f.kind, "ops": f.ops, "attempts": f.attempts,
                       "start": f.start, "end": f.end, "status": f.status} for f in res.fragments],
        "retries": res.retries, "fallbacks": res.fallbacks, "wall_ms": round(res.wall_ms, 3),
        "compile_ms": round(res.compile_ms, 3), "mode": res.mode, "plan_hash": res.plan_hash,
        "error": res.error, "notes": list(res.notes),
    }


def main(args) -> int:
    import qnb
    from qnb.config import Settings

    settings = Settings.load(args.config)
    circuit = qnb.load(args.file)  # fail fast on bad input, before any host starts
    nodes = args.nodes
    if args.bootstrap and nodes is None:
        nodes = 0
    mesh = qnb.start(nodes=nodes, topology=args.topology, seed=args.seed, bootstrap=args.bootstrap,
                     store=args.store, noiseless=args.noiseless or None, qubits_per_node=args.qubits_per_node,
                     settings=settings)
    try:
        res = mesh.run(circuit, shots=args.shots, seed=args.seed, min_fidelity=args.min_fidelity,
                       timeout=args.timeout)
    finally:
        mesh.stop()
    if args.json:
        print(json.dumps(result_json(res)))
    else:
        print(repr(res))
        for f in res.fragments:
            print(f"  fragment {f.fragment_id:3d} {f.kind:8s} on {f.node:8s} ops={f.ops:4d} "
                  f"attempts={f.attempts} {f.status}")
        if res.error:
            print(f"error: {res.error.get('message')}", file=sys.stderr)
    return 0 if res.ok else 1
