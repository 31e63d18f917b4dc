"""Nodes as separate OS processes (``qnb node``) joined by bootstrap multiaddrs (FR-001, FR-007).

Three real ``qnb node`` processes; a coordinator in this process dials them, runs a job across
them, and one node process is killed (SIGKILL) while its fragment is in flight: the job completes
by fallback on the two survivors.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from qnb.mesh_api import Mesh
from qnb.testing import GHZ6, test_settings, wait_for

pytestmark = pytest.mark.slow


def _start_node(name: str, qubits: int) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, QNB_LOGGING__DESTINATION="none")
    proc = subprocess.Popen([sys.executable, "-m", "qnb", "node", "--name", name, "--qubits", str(qubits),
                             "--fidelity", "1.0,1.0,1.0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    line = proc.stdout.readline().strip()
    assert line.startswith("/ip4/127.0.0.1/tcp/") and "/p2p/" in line, line
    return proc, line


@pytest.fixture
def node_processes():
    procs = []
    try:
        for i in range(3):
            procs.append(_start_node(f"proc{i}", 3))
        yield procs
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p, _ in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_job_across_node_processes_survives_a_killed_node(node_processes, tmp_path):
    addrs = [a for _, a in node_processes]
    mesh = Mesh(nodes=0, bootstrap=addrs, settings=test_settings(), store=str(tmp_path / "mp.duckdb"),
                noiseless=True).start()
    try:
        names = sorted(r["name"] for r in mesh.nodes())
        assert names == ["proc0", "proc1", "proc2"]
        first = mesh.run(GHZ6, shots=128, timeout=60)
        assert first.ok and first.state_fidelity >= 1 - 1e-9
        used = sorted({f.node for f in first.fragments})
        assert len(used) >= 2, "the circuit must span node processes"

        victim = [f.node for f in first.fragments if f.kind == "remote"][-1]
        mesh.fault("latency", victim, ms=500)   # over /qnb/control, to the other process
        job = mesh.submit(GHZ6, shots=128)
        wait_for(lambda: any(f.node == victim and f.status == "running" for f in job.snapshot.fragments),
                 timeout=30, what="a fragment in flight on the victim process")
        proc = node_processes[int(victim[-1])][0]
        proc.kill()                              # a real process kill
        res = job.wait(60)
        assert res.ok, res.error
        assert res.fallbacks >= 1
        assert res.state_fidelity >= 1 - 1e-9
        assert victim not in {f.node for f in res.fragments if f.status == "done"}
    finally:
        mesh.stop()
