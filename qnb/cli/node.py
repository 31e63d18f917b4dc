"""``qnb node``: run one service node as its own OS process (FR-001).

The first line of stdout is the node's full dialable multiaddr (with ``/p2p/<peer id>``), so
scripts and tests can read it and pass it to ``qnb run --bootstrap``.
"""

from __future__ import annotations



def register(sub) -> None:
    p = sub.add_parser("node", help="run one libp2p service node (a simulated QPU) in this process")
    p.add_argument("--listen", default="/ip4/127.0.0.1/tcp/0", metavar="MULTIADDR")
    p.add_argument("--bootstrap", action="append", default=[], metavar="MULTIADDR",
                   help="coordinator multiaddr to advertise to (repeatable); coordinators may also dial us")
    p.add_argument("--name", default=None, help="node name (default: derived from the port)")
    p.add_argument("--qubits", type=int, default=4)
    p.add_argument("--gates", default=None, help="comma-separated gate set (default: every standard gate)")
    p.add_argument("--fidelity", default=None,
                   help="2-qubit fidelity, or F1Q,F2Q,FREADOUT (default 0.9995,0.99,0.98)")
    p.add_argument("--region", default="local")
    p.add_argument("--price", type=float, default=0.0, help="price per shot")
    p.set_defaults(func=main)


def node_spec_from_args(args, name: str):
    from qnb.circuits.gates import STANDARD_GATE_SET
    from qnb.errors import ConfigError
    from qnb.topology import NodeSpec

    kw = {}
    if args.fidelity:
        parts = [float(x) for x in args.fidelity.split(",")]
        if len(parts) == 1:
            kw["fidelity_2q"] = parts[0]
        elif len(parts) == 3:
            kw.update(fidelity_1q=parts[0], fidelity_2q=parts[1], fidelity_readout=parts[2])
        else:
            raise ConfigError("--fidelity takes F2Q or F1Q,F2Q,FREADOUT", key="fidelity", value=args.fidelity,
                              rule="1 or 3 comma-separated floats in (0, 1]")
    gates = STANDARD_GATE_SET
    if args.gates:
        gates = frozenset(g.strip() for g in args.gates.split(",") if g.strip())
        unknown = gates - STANDARD_GATE_SET
        if unknown:
            raise ConfigError(f"unknown gate(s) {sorted(unknown)}", key="gates", value=args.gates,
                              rule="names from the standard gate library")
    return NodeSpec(id=name, qubits=args.qubits, gates=gates, region=args.region, price_per_shot=args.price, **kw)


def main(args) -> int:
    import signal

    import trio

    from qnb.config import Settings
    from qnb.node import NodeService
    from qnb.observability import configure_logging

    settings = Settings.load(args.config)
    configure_logging(settings.logging)
    from qnb.mesh.host import libp2p_logging
    libp2p_logging()

    async def amain() -> None:
        name = args.name or "pending"
        spec = node_spec_from_args(args, name)
        svc = NodeService(spec, settings, listen=args.listen, bootstrap=args.bootstrap)
        async with trio.open_nursery() as n:
            await n.start(svc.run)
            if args.name is None:  # name the node after its port, unique on one machine
                from dataclasses import replace
                port = svc.addr.split("/tcp/")[1].split("/")[0]
                svc.base_spec = svc.spec = replace(svc.spec, id=f"node-{port}")
                svc.book.node_id = svc.spec.id
            print(svc.addr, flush=True)
            with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as sigs:
                async for _ in sigs:
                    n.cancel_scope.cancel()
                    break

    trio.run(amain)
    return 0
