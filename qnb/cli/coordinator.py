"""``qnb coordinator``: run a coordinator (and optionally embedded nodes) as its own OS process.

Prints the coordinator's full multiaddr on the first line of stdout. Clients submit with
``qnb submit FILE --coordinator MULTIADDR``. On start it recovers every unfinished job from its
DuckDB file (FR-010), so a killed coordinator restarted on the same ``--store`` loses nothing.
"""

from __future__ import annotations

import signal
import threading


def register(sub) -> None:
    p = sub.add_parser("coordinator", help="run a coordinator process (recovers unfinished jobs from its store)")
    p.add_argument("--listen", default=None, metavar="MULTIADDR", help="default /ip4/127.0.0.1/tcp/0")
    p.add_argument("--store", default=None, help="DuckDB file (default from config)")
    p.add_argument("--nodes", type=int, default=0, help="embedded nodes to run in this process (default 0)")
    p.add_argument("--qubits-per-node", type=int, default=None)
    p.add_argument("--bootstrap", action="append", default=[], metavar="MULTIADDR", help="running node to join")
    p.add_argument("--noiseless", action="store_true")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(func=main)


def main(args) -> int:
    from qnb.config import Settings
    from qnb.mesh_api import Mesh

    settings = Settings.load(args.config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    mesh = Mesh(nodes=args.nodes, seed=args.seed, bootstrap=args.bootstrap, settings=settings,
                             store=args.store, noiseless=args.noiseless or None,
                             qubits_per_node=args.qubits_per_node, listen=args.listen).start()
    print(mesh.addr, flush=True)
    try:
        while not stop.wait(0.2):
            if not mesh.running:
                return 1
    finally:
        mesh.stop()
    return 0
