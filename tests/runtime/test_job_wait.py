"""Waiting on a job whose mesh stops (FR-009, NB-2): a structured answer, never a silent None."""

from __future__ import annotations

import pytest

from qnb.errors import JobError
from qnb.runtime.job import JobState
from qnb.testing import small_mesh, test_settings, wait_for


def test_jobs_of_a_stopped_mesh_end_cancelled_or_raise_never_none():
    with small_mesh(nodes=2, qubits_per_node=3, settings=test_settings(limits={"max_jobs_in_flight": 1})) as mesh:
        for n in mesh.node_names():
            mesh.fault("latency", n, ms=1500)          # every answer takes 1.5 s (reserve timeout: 2 s)
        running = mesh.submit("ghz_5", shots=32)
        queued = [mesh.submit("ghz_5", shots=32) for _ in range(2)]
        wait_for(lambda: running.status is JobState.EXECUTING, timeout=30, what="job executing")
    res = running.wait(5)                              # interrupted mid-run: its result says so
    assert res.status == "CANCELLED" and res.error["type"] == "cancelled"
    for job in queued:                                 # never started: no result exists
        with pytest.raises(JobError, match="mesh stopped before job"):
            job.wait(5)
        with pytest.raises(JobError, match="mesh stopped before job"):
            job.result()
