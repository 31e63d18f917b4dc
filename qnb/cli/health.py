"""``qnb health``: the health report of a coordinator and its dependencies (FR-012).

With ``--coordinator MULTIADDR`` it asks a running coordinator process; otherwise it starts an
embedded mesh (``--nodes N``), reports, and stops it. Exit status 0 when the overall status is
``ok``, 1 when ``degraded`` or ``down``.
"""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("health", help="health of the coordinator, store, registry and nodes")
    p.add_argument("--coordinator", default=None, metavar="MULTIADDR", help="a running `qnb coordinator`")
    p.add_argument("--nodes", type=int, default=3, help="embedded nodes when no --coordinator (default 3)")
    p.add_argument("--store", default=":memory:", help="DuckDB file for the embedded mesh (default :memory:)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=main)


def _text(h: dict) -> str:
    lines = [f"overall: {h['status']}"]
    for name, comp in h.get("components", {}).items():
        lines.append(f"  {name:12s} {comp.get('status'):9s} {comp.get('detail', '')}")
    for n in h.get("nodes", []):
        lines.append(f"  node {n.get('name'):8s} {n.get('status'):9s} F2q={n.get('fidelity_2q')} age={n.get('age_s')} s")
    return "\n".join(lines)


def main(args) -> int:
    if args.coordinator:
        from qnb.client import CoordinatorClient
        from qnb.config import Settings
        with CoordinatorClient(args.coordinator, settings=Settings.load(args.config)) as client:
            h = client.health()
    else:
        import qnb
        from qnb.config import Settings
        mesh = qnb.start(nodes=args.nodes, store=args.store, settings=Settings.load(args.config))
        try:
            h = mesh.health().to_json()
        finally:
            mesh.stop()
    print(json.dumps(h) if args.json else _text(h))
    return 0 if h.get("status") == "ok" else 1
