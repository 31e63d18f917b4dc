"""Crash recovery with real OS processes and a real DuckDB file (FR-010).

A ``qnb coordinator`` process (with embedded nodes) accepts jobs over libp2p; it is killed with
SIGKILL while jobs are queued and executing; a new process on the same DuckDB file drives every
accepted job to a terminal state, without duplicates, and reloads its registry cache as stale.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from qnb.client import CoordinatorClient
from qnb.store import Store
from qnb.testing import wait_for

pytestmark = pytest.mark.slow

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
# a noisy 8-qubit circuit: density-matrix work takes long enough that jobs pile up in the queue
HEAVY = ("OPENQASM 3.0; include \"stdgates.inc\"; qubit[8] q; bit[8] c; h q[0]; "
         + " ".join(f"cx q[{i}], q[{i + 1}]; rz(0.3) q[{i + 1}];" for i in range(7)) + " c = measure q;")


def _coordinator(store: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, QNB_LOGGING__DESTINATION="none", QNB_LIMITS__MAX_JOBS_IN_FLIGHT="1")
    proc = subprocess.Popen([sys.executable, "-m", "qnb", "coordinator", "--store", store, "--nodes", "3",
                             "--qubits-per-node", "3"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    addr = proc.stdout.readline().strip()
    assert "/p2p/" in addr, f"coordinator did not print its address (exit {proc.poll()})"
    return proc, addr


def test_killed_coordinator_resumes_every_accepted_job(tmp_path):
    store = str(tmp_path / "crash.duckdb")
    proc, addr = _coordinator(store)
    try:
        with CoordinatorClient(addr, timeout=30) as client:
            ids = [client.submit(HEAVY, shots=256, seed=i, name=f"heavy{i}") for i in range(6)]
            old_peers = {n["peer_id"] for n in client.nodes()}
            wait_for(lambda: client.status(ids[0])["state"] in TERMINAL, timeout=120, what="first job done")
            states = {i: client.status(i)["state"] for i in ids}
        assert any(s not in TERMINAL for s in states.values()), states
        proc.send_signal(signal.SIGKILL)                      # a real crash, not a clean stop
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()

    done_before = {i for i, s in states.items() if s in TERMINAL}
    proc, addr = _coordinator(store)
    try:
        with CoordinatorClient(addr, timeout=30) as client:
            wait_for(lambda: sum(1 for n in client.nodes() if n["available"] and not n["stale"]) == 3,
                     timeout=30, what="three fresh nodes after the restart")
            new_peers = {n["peer_id"] for n in client.nodes() if not n["stale"]}
            recovered = {j["job_id"]: j for j in client.jobs()}
            assert set(recovered) == set(ids) - done_before     # only unfinished jobs are re-run
            assert all(j["resumed"] and j["run"] == 2 for j in recovered.values())
            wait_for(lambda: all(client.status(i)["state"] in TERMINAL for i in recovered), timeout=300,
                     what="every recovered job terminal")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

    db = Store.open(store, read_only=True)
    try:
        rows = db.sql("select job_id, state, run_count, resumed from jobs").rows
        assert sorted(r[0] for r in rows) == sorted(ids)         # nothing lost, nothing duplicated
        assert all(r[1] in TERMINAL for r in rows)
        by_id = {r[0]: r for r in rows}
        for i in ids:
            assert by_id[i][2] == (1 if i in done_before else 2)
            assert by_id[i][3] == (i not in done_before)
        cache = dict(db.sql("select node_id, stale from registry_cache").rows)
        # the reloaded cache was marked stale; only nodes that advertised since are fresh again
        assert all(cache[p] is True for p in old_peers), cache
        assert all(cache[p] is False for p in new_peers), cache
        results = db.sql("select job_id, status, resumed from results").rows
        assert sorted(r[0] for r in results) == sorted(ids)
        errors = db.sql("select job_id, error from jobs where state <> 'COMPLETED'").rows
        assert all(r[1] == "COMPLETED" for r in results), errors
    finally:
        db.close()
