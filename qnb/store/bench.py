"""Writer throughput on the runtime's write pattern: ``python -m qnb.store.bench [--fragments N] [--db PATH]``.

Per fragment: insert an attempt (running), update it (ok, timings), append a job event; then
flush. Prints enqueue cost per operation (what the trio loop pays) and committed operations/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from .db import Store
from .writer import StoreWriter


def run(fragments: int, path: str, batch_ms: float = 50.0, batch_max: int = 500) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    with Store.open(path) as store:
        w = StoreWriter(store, batch_ms=batch_ms, batch_max=batch_max)
        t0 = time.perf_counter()
        enqueue = 0.0
        for i in range(fragments):
            e0 = time.perf_counter()
            key = {"job_id": f"job{i // 10}", "run": 1, "fragment_id": i % 10, "attempt": 1}
            w.insert("attempts", {**key, "node": f"n{i % 5}", "status": "running", "started_at": now,
                                  "correlation_id": f"c{i}"})
            w.update("attempts", {"status": "ok", "finished_at": now, "sim_ms": 1.0, "overhead_ms": 0.5,
                                  "wall_ms": 1.5}, key)
            w.insert("job_events", {"job_id": key["job_id"], "state": "EXECUTING", "ts": now,
                                    "detail": {"fragment": i % 10}})
            enqueue += time.perf_counter() - e0
        w.flush(600)
        elapsed = time.perf_counter() - t0
        stats = dict(w.stats)
        w.close()
        ok = store.sql("SELECT count(*) FROM attempts WHERE status = 'ok'").scalar()
    ops = 3 * fragments
    return {"fragments": fragments, "ops": ops, "enqueue_us_per_op": enqueue / ops * 1e6,
            "committed_ops_per_s": ops / elapsed, "fragments_per_s": fragments / elapsed,
            "statements": stats["statements"], "batches": stats["batches"], "rows_ok": ok}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qnb.store.bench", description=__doc__)
    ap.add_argument("--fragments", type=int, default=5000)
    ap.add_argument("--db", help="database file (default: a temporary file)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or str(Path(tmp) / "bench.duckdb")
        r = run(args.fragments, path)
    print(f"{r['fragments']} fragments, {r['ops']} ops: enqueue {r['enqueue_us_per_op']:.1f} us/op, "
          f"{r['committed_ops_per_s']:.0f} ops/s committed ({r['fragments_per_s']:.0f} fragments/s), "
          f"{r['statements']} statements in {r['batches']} batches")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
