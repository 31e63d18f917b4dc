#!/usr/bin/env python
"""Submit N concurrent jobs to an embedded mesh and report how many complete (issue 10, docs/benchmarks.md).

    python scripts/concurrent_jobs.py --jobs 64 --circuit ghz_10 --nodes 5 [--noiseless]
"""

from __future__ import annotations

import argparse
import json
import time

import qnb
from qnb.testing import test_settings


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=64)
    p.add_argument("--circuit", default="ghz_10")
    p.add_argument("--nodes", type=int, default=5)
    p.add_argument("--shots", type=int, default=256)
    p.add_argument("--noiseless", action="store_true")
    p.add_argument("--timeout", type=float, default=1200.0)
    a = p.parse_args()
    mesh = qnb.start(nodes=a.nodes, seed=7, store=":memory:", settings=test_settings(), noiseless=a.noiseless)
    try:
        t = time.perf_counter()
        jobs = [mesh.submit(a.circuit, shots=a.shots, seed=i) for i in range(a.jobs)]
        results = [j.wait(a.timeout) for j in jobs]
        wall = time.perf_counter() - t
    finally:
        mesh.stop()
    print(json.dumps({"jobs": a.jobs, "completed": sum(r.ok for r in results), "wall_s": round(wall, 1),
                      "fallbacks": sum(r.fallbacks for r in results),
                      "errors": [r.error for r in results if not r.ok][:5]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
