"""``qnb submit FILE --coordinator MULTIADDR``: submit to a running coordinator process over libp2p."""

from __future__ import annotations

import json
import time


def register(sub) -> None:
    p = sub.add_parser("submit", help="submit a circuit to a running `qnb coordinator`")
    p.add_argument("file", help="OpenQASM file or bundled circuit name")
    p.add_argument("--coordinator", required=True, metavar="MULTIADDR")
    p.add_argument("--shots", type=int, default=1024)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--name", default=None)
    p.add_argument("--wait", action="store_true", help="wait for a terminal state and print the result")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=main)


def main(args) -> int:
    from qnb.circuits import load
    from qnb.client import CoordinatorClient
    from qnb.config import Settings

    c = load(args.file)
    source = c.source if c.source else c.to_qasm3()
    opts = {"shots": args.shots, "name": args.name or c.name}
    if args.seed is not None:
        opts["seed"] = args.seed
    with CoordinatorClient(args.coordinator, settings=Settings.load(args.config)) as client:
        job_id = client.submit(source, **opts)
        out: dict = {"job_id": job_id}
        if args.wait:
            deadline = time.monotonic() + args.timeout
            while True:
                st = client.status(job_id)
                if st["state"] in ("COMPLETED", "FAILED", "CANCELLED"):
                    out = client.result(job_id).get("result") or st
                    break
                if time.monotonic() > deadline:
                    out = st
                    break
                time.sleep(0.1)
    print(json.dumps(out) if args.json else out)
    return 0
