"""``qnb demo``: the README's main job.

Starts an embedded mesh of 5 heterogeneous libp2p nodes (4 qubit slots each, different
fidelities, regions and prices), runs bundled circuits (GHZ, QFT, QAOA, an adder) across them,
really drops a node in the middle of one run, and prints what happened: fragments, ebits,
estimated vs measured fidelity, retries, fallbacks and latency.
"""

from __future__ import annotations

import json
import sys
import time

DEMO_CIRCUITS = ("ghz_10", "qft_6", "qaoa_maxcut_6", "cuccaro_adder_3")
FAULTED = "qft_6"


def register(sub) -> None:
    p = sub.add_parser("demo", help="run bundled circuits on a 5-node embedded mesh with a node drop mid-run")
    p.add_argument("--nodes", type=int, default=5)
    p.add_argument("--qubits-per-node", type=int, default=4)
    p.add_argument("--shots", type=int, default=2048)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--store", default=None, help="DuckDB file (default from config)")
    p.add_argument("--no-fault", action="store_true", help="skip the node drop")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=main)


def _drop_mid_run(mesh, circuit, shots: int, seed: int, log) -> tuple:
    """Submit ``circuit`` and really stop the node of its last remote fragment while it runs."""
    from qnb.planning import plan_circuit
    from qnb.testing import wait_for

    plan = plan_circuit(circuit, mesh.topology_snapshot(), seed=seed)
    remote = [f for f in plan.fragments if f.kind == "remote"] or list(plan.fragments)
    victim = remote[-1].node
    mesh.fault("latency", victim, ms=400)  # hold its fragment in flight long enough to cut it
    job = mesh.submit(circuit, shots=shots, seed=seed, name=circuit.name)
    try:
        wait_for(lambda: any(f.node == victim and f.status == "running" for f in job.snapshot.fragments)
                 or job.done, timeout=60, what=f"a fragment running on {victim}")
    except TimeoutError:
        pass
    log(f"  -> dropping node {victim} (its libp2p host stops) while {circuit.name} runs on it")
    mesh.fault("drop", victim)
    res = job.wait(300)
    mesh.fault("restore", victim)
    return res, victim


def main(args) -> int:
    import qnb
    from qnb.circuits import bundled, load
    from qnb.config import Settings

    out = sys.stderr if args.json else sys.stdout

    def log(msg: str) -> None:
        print(msg, file=out, flush=True)

    settings = Settings.load(args.config)
    t0 = time.perf_counter()
    mesh = qnb.start(nodes=args.nodes, qubits_per_node=args.qubits_per_node, seed=args.seed, store=args.store,
                     settings=settings)
    log(f"qnb demo: {args.nodes} libp2p nodes up in {time.perf_counter() - t0:.2f} s "
        f"(Noise over TCP on 127.0.0.1); store: {mesh.store_path}")
    for r in mesh.nodes():
        log(f"  {r['name']}: {r['qubits']} qubits, F1q={r['fidelity_1q']:.4f} F2q={r['fidelity_2q']:.4f} "
            f"Fro={r['fidelity_readout']:.4f} region={r['region']} peer={r['peer_id'][:16]}...")
    rows = []
    try:
        for name in DEMO_CIRCUITS:
            circuit = load(bundled()[name])
            if name == FAULTED and not args.no_fault:
                res, victim = _drop_mid_run(mesh, circuit, args.shots, args.seed, log)
                note = f"dropped {victim}"
            else:
                res = mesh.run(circuit, shots=args.shots, seed=args.seed, name=name, timeout=300)
                note = ""
            rows.append({
                "circuit": name, "qubits": circuit.num_qubits, "status": res.status,
                "fragments": len([f for f in res.fragments if f.status == "done"]),
                "nodes": len({f.node for f in res.fragments if f.status == "done"}), "ebits": res.ebits,
                "estimated_fidelity": res.estimated_fidelity, "measured_fidelity": res.measured_fidelity,
                "retries": res.retries, "fallbacks": res.fallbacks, "latency_ms": round(res.wall_ms, 1),
                "fault": note, "job_id": res.job_id,
                "error": (res.error or {}).get("message")})
    finally:
        mesh.stop()
    if args.json:
        print(json.dumps(rows))
        return 0 if all(r["status"] == "COMPLETED" for r in rows) else 1
    head = (f"{'circuit':16s} {'qubits':>6s} {'frags':>5s} {'nodes':>5s} {'ebits':>5s} {'est F':>7s} "
            f"{'meas F':>7s} {'retry':>5s} {'fallbk':>6s} {'latency':>10s}  status")
    print()
    print(head)
    print("-" * len(head))

    def f(x):
        return "-" if x is None else f"{x:.4f}"
    for r in rows:
        print(f"{r['circuit']:16s} {r['qubits']:6d} {r['fragments']:5d} {r['nodes']:5d} {r['ebits']:5d} "
              f"{f(r['estimated_fidelity']):>7s} {f(r['measured_fidelity']):>7s} {r['retries']:5d} "
              f"{r['fallbacks']:6d} {r['latency_ms']:8.1f} ms  {r['status']}"
              + (f"  ({r['fault']})" if r["fault"] else "") + (f"  {r['error']}" if r["error"] else ""))
    print()
    print(f"Every row is in DuckDB: qnb db query --db {mesh.store_path} \"select * from job_summary\"")
    return 0 if all(r["status"] == "COMPLETED" for r in rows) else 1
