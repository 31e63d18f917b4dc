"""qnb: a Jupyter-native research environment for orchestrating distributed quantum circuits.

Public API (pinned by ``tests/test_public_api.py``, described in ``docs/api.md``)::

    import qnb
    mesh = qnb.start(nodes=5, seed=7)
    job = mesh.submit(qasm, shots=2048)
    job.result()
    mesh.sql("select * from job_summary")
    mesh.stop()

Import cost and laziness. ``import qnb`` stays light: it loads the circuit IR, the topology model,
the errors and the job value types (stdlib only), never IPython, ipywidgets, qiskit-aer, libp2p or
trio. ``start``, ``Mesh`` and ``Job`` live in :mod:`qnb.mesh_api`, which imports trio (measured on
the dev VM: +136 modules, about +135 ms, ~60 % more than the rest of ``import qnb``), so they are
resolved on first attribute access through a module ``__getattr__`` (PEP 562) and cached. They are
the real objects, not wrappers: ``qnb.start is qnb.mesh_api.start``, so ``inspect.signature``,
``help(qnb.start)`` and Shift-Tab in a notebook show the real parameters and docstring, and
``isinstance(x, qnb.Mesh)`` works. (A ``functools.wraps`` forwarder was rejected: it cannot make
``qnb.Mesh``/``qnb.Job`` real classes and it would not be ``mesh_api.start``.)

The core package never imports IPython or ipywidgets: only :mod:`qnb.notebook` does (loaded by
``%load_ext qnb``, see docs/notebook.md); :mod:`qnb.render` builds HTML reprs without them.
"""

from __future__ import annotations

import os as _os
from typing import TYPE_CHECKING as _TYPE_CHECKING

# Multi-threaded OpenBLAS on small matrices is pathologically slow on small shared machines
# (100x100 eigh: 300-600 ms vs 1.4 ms single-threaded, measured on our 2-core VMs) and competes
# with the mesh's own threads. Only a default: an explicit setting wins, and it only takes effect
# when numpy is not imported yet.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

from .circuits import Circuit, load, loads
from .errors import (ConfigError, FragmentError, JobError, PlanningError, ProtocolError, QasmError, QnbError,
                     TopologyError, UnknownJobError)
from .runtime.job import JobResult, JobSnapshot, JobState
from .topology import Topology, load_topology

if _TYPE_CHECKING:  # static tools see the lazy names as ordinary imports; nothing here runs
    from pathlib import Path
    from typing import Any

    from .mesh_api import Job, Mesh, start
    from .planning import Plan

__all__ = ["__version__", "Circuit", "load", "loads", "Topology", "load_topology", "plan", "start",
           "Mesh", "Job", "JobResult", "JobState", "JobSnapshot",
           "QnbError", "QasmError", "TopologyError", "PlanningError", "ConfigError", "ProtocolError",
           "JobError", "FragmentError", "UnknownJobError"]

#: names served lazily from :mod:`qnb.mesh_api` (see the module docstring for why)
_LAZY_MESH_API = ("start", "Mesh", "Job")


def __getattr__(name: str) -> Any:
    """Resolve ``start``, ``Mesh`` and ``Job`` from :mod:`qnb.mesh_api` on first use (PEP 562)."""
    if name in _LAZY_MESH_API:
        from . import mesh_api
        value = getattr(mesh_api, name)
        globals()[name] = value          # later lookups are plain module attributes
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """Module attributes plus the lazy names, so tab completion offers ``qnb.start`` at once."""
    return sorted(set(globals()) | set(_LAZY_MESH_API))


def plan(circuit: Any, topology: Topology | str | Path | None = None, **kw: Any) -> Plan:
    """Ingest ``circuit`` and plan it on ``topology`` without starting a mesh (FR-003, FR-004).

    ``circuit``: anything :func:`qnb.load` accepts (OpenQASM 2/3 text, a ``.qasm`` path, a qiskit
    ``QuantumCircuit`` or a :class:`Circuit`). ``topology``: a :class:`Topology`, a TOML path, a
    bundled name (``"hetero5"``) or a generator spec (``"all-to-all:5:4"``); None means the default
    ``all-to-all:5:4`` of :func:`qnb.load_topology`.

    Keyword arguments go to :func:`qnb.planning.plan_circuit`: ``seed`` (int, default 0; the plan
    is deterministic for a given circuit, topology and seed, NFR-001), ``min_fidelity`` (number in
    (0, 1], default None = no floor: the chosen plan's estimated fidelity must reach it), ``weights``
    (:class:`qnb.planning.CostWeights`, default ``CostWeights()``: weights of the latency,
    fidelity-risk and ebit cost terms) and ``exclude`` (node ids not to use, default none).

    Returns the cheapest feasible :class:`qnb.planning.Plan`. Raises :class:`QasmError` for invalid
    circuit source, :class:`TopologyError` for an invalid topology and :class:`PlanningError`
    (naming the missing capability or violated constraint, also for a bad ``seed`` or
    ``min_fidelity``) when no plan is feasible.
    """
    from .planning import plan_circuit
    return plan_circuit(load(circuit), load_topology(topology), **kw)


def load_ipython_extension(ipython: Any) -> None:  # pragma: no cover - exercised by the notebook tests
    """``%load_ext qnb``: register the ``%qnb``, ``%%qsubmit``, ``%qjobs``, ``%qsql`` and ``%qfault``
    magics (NB-1). Imports :mod:`qnb.notebook` (and IPython) only now."""
    from .notebook import load_ipython_extension as _load
    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:  # pragma: no cover
    """``%unload_ext qnb``: stop the session's mesh and remove the magics that
    :func:`load_ipython_extension` registered (NB-2)."""
    from .notebook import unload_ipython_extension as _unload
    _unload(ipython)
