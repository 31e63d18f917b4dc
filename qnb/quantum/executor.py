"""Node-side execution of one fragment on qiskit-aer (FR-006 node side, NFR-007).

``execute_ops`` takes the global state handed to the node, applies the fragment's operations
with the node's own noise, and returns the new state. The circuit it builds is::

    set_statevector | set_density_matrix (the incoming state, all qubits)
    op_0 [gate channel] [link channel] op_1 ... (measure / barrier skipped, reset applied)
    save_statevector | save_density_matrix

Noiseless runs use aer's statevector method; any noise (node gates or link) runs the
density-matrix method, promoting an incoming state vector to |psi><psi|. Noise channels are
explicit ``superop`` instructions after each gate (see ``noise.py`` for the depolarizing
conversion), so exactly the channels the docs describe are applied, whatever the gate's name.

Fast path (measured in docs/quantum.md): no transpile (``gatemap`` only emits instructions the
method supports natively or as ``unitary``), cached gate/channel objects, one simulator object per
method, ``max_parallel_threads=1``, set-state instructions that
skip aer's O(d**3) validity check (``QuantumState.decode`` already checked size and norm), and
the job executed in the calling thread (aer's ``run()`` would hand every job in the process to
one global worker thread, serialising all nodes of an in-kernel mesh).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Instruction

from ..circuits.ir import Operation
from ..errors import ProtocolError, QnbError, UnsupportedConstructError
from .gatemap import aer_instruction
from .limits import StateLimits
from .noise import NoiseParams, depolarizing_superop, gate_fidelity
from .state import QuantumState

__all__ = ["ExecStats", "ExecutionError", "execute_ops", "execute_mode_none", "estimate_duration_ns"]

#: fixed so runs are reproducible (only a reset on a non-|0> qubit would draw randomness, and
#: ``check_executable`` forbids that)
_SEED = 1234567


class ExecutionError(QnbError):
    """qiskit-aer failed to run a fragment (carries aer's status message)."""

    type = "execution_error"


@dataclass(frozen=True)
class ExecStats:
    """What a node reports about one execution."""

    sim_ms: float          # wall time of execute_ops (circuit build + aer + result), ms
    num_ops: int           # operations applied (measure and barrier are not applied)
    mode: str              # "statevector" | "density_matrix" | "none"
    duration_ns: float = 0.0   # simulated quantum duration; only set by execute_mode_none

    def to_json(self) -> dict:
        return {"sim_ms": round(self.sim_ms, 6), "num_ops": self.num_ops, "mode": self.mode,
                "duration_ns": self.duration_ns}


class _SetState(Instruction):
    """aer's set_statevector / set_density_matrix without the O(d**3) validity check."""

    _directive = True

    def __init__(self, name: str, num_qubits: int, data: np.ndarray) -> None:
        super().__init__(name, num_qubits, 0, [data])


@lru_cache(maxsize=128)
def _save(kind: str, num_qubits: int) -> Instruction:
    """aer's save_statevector / save_density_matrix of the whole register (label "state")."""
    from qiskit_aer.library import SaveDensityMatrix, SaveStatevector
    cls = SaveStatevector if kind == "statevector" else SaveDensityMatrix
    return cls(num_qubits, label="state")


@lru_cache(maxsize=4)
def _simulator(kind: str):
    """One AerSimulator per method for the whole process, and its native gate names.

    Single-threaded: nodes and jobs already run concurrently in worker threads, and measured here
    (2 cores) aer's OpenMP parallelism made 16-20 qubit fragments slower, not faster."""
    from qiskit_aer import AerSimulator
    sim = AerSimulator(method=kind, max_parallel_threads=1, seed_simulator=_SEED)
    return sim, frozenset(sim.configuration().basis_gates)


@lru_cache(maxsize=1024)
def _channel(fidelity: float, num_qubits: int, saturate: bool) -> Instruction | None:
    m = depolarizing_superop(fidelity, num_qubits, saturate)
    return None if m is None else Instruction("superop", num_qubits, 0, [aer_array(m)])


def aer_array(a: np.ndarray) -> np.ndarray:
    """``a`` as aer must receive it: qiskit-aer 0.18 reads a read-only (non-writeable) complex
    matrix *transposed* (a set_density_matrix becomes rho^T = conj(rho), a unitary U^T), measured
    here and pinned by tests/quantum/test_executor.py. Writable C-ordered arrays are read correctly."""
    if a.flags.writeable and a.flags.c_contiguous and a.dtype == np.complex128:
        return a
    return np.array(a, dtype=np.complex128, order="C", copy=True)


def _run(sim, qc: QuantumCircuit, kind: str) -> np.ndarray:
    runner = getattr(sim, "_execute_circuits_job", None)
    if runner is not None:
        # in-thread: see module docstring (aer >= 0.13 signature: circuits, parameter_binds, run_options)
        result = runner([qc], None, {}, job_id="qnb")
    else:  # pragma: no cover - other aer versions
        result = sim.run(qc).result()
    if not result.success:
        raise ExecutionError(f"qiskit-aer failed to run the fragment: {result.status}",
                             status=str(result.status))
    data = result.data(0)["state"]
    return np.asarray(getattr(data, "data", data), dtype=np.complex128)


def _check_op(i: int, op: Operation, n: int) -> None:
    for q in op.qubits:
        if not isinstance(q, int) or not 0 <= q < n:
            raise ProtocolError(f"op {i} ({op.name}): qubit {q!r} is outside 0..{n - 1}", code="bad_ops",
                                op_index=i)
    if op.is_symbolic:
        raise UnsupportedConstructError(f"op {i} ({op.name}) has unbound parameters {[str(p) for p in op.params]}",
                                        construct="unbound_parameter", op_index=i)


def execute_ops(ops: Sequence[Operation], state: QuantumState, noise: NoiseParams | None = None,
                link_fidelity: Mapping[int, float] | None = None, *,
                limits: StateLimits | None = None) -> tuple[QuantumState, ExecStats]:
    """Apply ``ops`` to ``state`` on qiskit-aer with the node's ``noise`` and per-op link noise.

    ``link_fidelity`` maps an index into ``ops`` to the fidelity of the link a remote operation
    used: a depolarizing channel with that average gate fidelity on the op's qubits follows it.
    Synchronous and CPU-bound: call it through ``trio.to_thread.run_sync``.
    Raises StateLimitError when the (possibly promoted) state exceeds ``limits``.
    """
    t0 = time.perf_counter()
    ops = list(ops)
    n = state.num_qubits
    link = dict(link_fidelity or {})
    for i, f in link.items():
        if not isinstance(i, int) or not 0 <= i < len(ops):
            raise ProtocolError(f"link_fidelity refers to op {i!r}, but the fragment has {len(ops)} ops",
                                code="bad_ops", op_index=i)
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0.0 < f <= 1.0:
            raise ProtocolError(f"op {i}: link_fidelity must be a number in (0, 1], got {f!r}",
                                code="bad_ops", op_index=i)
    gate_noise = noise is not None and not noise.gates_noiseless
    noisy = gate_noise or any(f < 1.0 for f in link.values())
    if noisy and state.kind == "statevector":
        (limits or StateLimits()).check("density_matrix", n)
        state = state.to_density_matrix()
    (limits or StateLimits()).check(state.kind, n)
    kind = state.kind
    sim, native = _simulator(kind)

    qc = QuantumCircuit(n)
    wires = qc.qubits
    qc.append(_SetState("set_" + kind, n, aer_array(state.data)), wires)
    applied = 0
    for i, op in enumerate(ops):
        name = op.name
        if name == "measure" or name == "barrier":
            continue
        _check_op(i, op, n)
        qargs = [wires[q] for q in op.qubits]
        if name == "reset":
            qc.reset(qargs[0])
        else:
            qc.append(aer_instruction(op, native), qargs)
            if gate_noise:
                k = len(op.qubits)
                ch = _channel(gate_fidelity(noise, name, k, op.ctrl_qubits), k, k >= 3)
                if ch is not None:
                    qc.append(ch, qargs)
        f = link.get(i)
        if f is not None and f < 1.0:
            ch = _channel(float(f), len(op.qubits), False)
            qc.append(ch, qargs)
        applied += 1
    if applied:
        qc.append(_save(kind, n), wires)
        data = _run(sim, qc, kind)
        state = QuantumState(kind, n, data)
    stats = ExecStats(sim_ms=(time.perf_counter() - t0) * 1e3, num_ops=applied, mode=kind)
    return state, stats


def estimate_duration_ns(ops: Iterable[Operation], duration_1q_ns: float = 35.0,
                         duration_2q_ns: float = 300.0, duration_readout_ns: float = 1000.0) -> float:
    """Serial duration estimate of ``ops`` (barriers free, resets cost a readout, k>=3 gates
    cost one 2q duration per CX of their decomposition)."""
    from .noise import two_qubit_count
    total = 0.0
    for op in ops:
        k = len(op.qubits)
        if op.name == "barrier":
            continue
        if op.name in ("measure", "reset"):
            total += duration_readout_ns
        elif k == 1:
            total += duration_1q_ns
        elif k == 2:
            total += duration_2q_ns
        else:
            total += duration_2q_ns * two_qubit_count(op.name, op.ctrl_qubits)
    return total


def execute_mode_none(ops: Sequence[Operation], *, duration_1q_ns: float = 35.0,
                      duration_2q_ns: float = 300.0, duration_readout_ns: float = 1000.0) -> ExecStats:
    """Plan-and-timing-only execution beyond the state limits: no state, a duration estimate."""
    t0 = time.perf_counter()
    ops = list(ops)
    dur = estimate_duration_ns(ops, duration_1q_ns, duration_2q_ns, duration_readout_ns)
    applied = sum(1 for op in ops if op.name not in ("measure", "barrier"))
    return ExecStats(sim_ms=(time.perf_counter() - t0) * 1e3, num_ops=applied, mode="none", duration_ns=dur)
