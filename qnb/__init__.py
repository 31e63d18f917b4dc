"""qnb: a Jupyter-native research environment for orchestrating distributed quantum circuits.

Public API (pinned by ``tests/test_public_api.py``)::

    import qnb
    mesh = qnb.start(nodes=5, seed=7)
    job = mesh.submit(qasm, shots=2048)
    job.result()
    mesh.sql("select * from job_summary")
    mesh.stop()
"""

from __future__ import annotations

import os as _os

# Multi-threaded OpenBLAS on small matrices is pathologically slow on small shared machines
# (100x100 eigh: 300-600 ms vs 1.4 ms single-threaded, measured on our 2-core VMs) and competes
# with the mesh's own threads. Only a default: an explicit setting wins, and it only takes effect
# when numpy is not imported yet.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

from .circuits import Circuit, load
from .errors import (ConfigError, FragmentError, JobError, PlanningError, ProtocolError, QasmError, QnbError,
                     TopologyError, UnknownJobError)
from .topology import Topology, load_topology

__all__ = ["__version__", "Circuit", "load", "Topology", "load_topology", "plan", "start",
           "QnbError", "QasmError", "TopologyError", "PlanningError", "ConfigError", "ProtocolError",
           "JobError", "FragmentError", "UnknownJobError"]


def plan(circuit, topology=None, **kw):
    """Ingest ``circuit`` and plan it on ``topology`` (a Topology, TOML path or generator spec)."""
    from .planning import plan_circuit
    return plan_circuit(load(circuit), load_topology(topology), **kw)


def start(*args, **kwargs):
    """Start an embedded mesh (coordinator + N libp2p nodes on a background trio thread)."""
    from .mesh_api import start as _start
    return _start(*args, **kwargs)


def load_ipython_extension(ipython):  # pragma: no cover - exercised by the notebook tests
    from .notebook import load_ipython_extension as _load
    _load(ipython)


def unload_ipython_extension(ipython):  # pragma: no cover
    from .notebook import unload_ipython_extension as _unload
    _unload(ipython)
