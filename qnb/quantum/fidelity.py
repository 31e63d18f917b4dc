"""Reference results and the fidelity metrics stored with every job (NFR-007, "Physical model").

* ``ideal_state`` / ``ideal_distribution``: the monolithic, noiseless result a distributed run is
  compared against (one aer statevector run of the whole circuit, measurements ignored).
* ``sample_counts``: the coordinator's terminal measurement of the final handed-along state, with
  each node's readout error as an independent bit flip per measurement.
* ``hellinger_fidelity``: measured fidelity of counts against the ideal distribution, the same
  quantity as ``qiskit.quantum_info.hellinger_fidelity``: with both inputs normalised,
  H**2 = 1 - sum_i sqrt(p_i q_i) and F = (1 - H**2)**2 = (sum_i sqrt(p_i q_i))**2.
* ``state_fidelity``: |<ideal|psi>|**2, or <ideal|rho|ideal> for a density matrix.

Count keys follow qiskit: clbit n-1 first, clbit 0 last; clbits never measured read 0; when
several measurements write one clbit the last one wins.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ..circuits.ir import Circuit
from .checks import check_executable
from .limits import StateLimits
from .state import QuantumState

__all__ = ["ideal_state", "ideal_distribution", "distribution", "sample_counts", "hellinger_fidelity",
           "state_fidelity"]


def ideal_state(circuit: Circuit, limits: StateLimits | None = None) -> np.ndarray:
    """Noiseless state vector of the whole circuit from |0...0> (measurements and barriers skipped)."""
    from .executor import execute_ops
    check_executable(circuit)
    state, _ = execute_ops(circuit.operations, QuantumState.initial(circuit.num_qubits), None, limits=limits)
    return state.data


def _last_writer(measurements: Sequence[tuple[int, int]], num_clbits: int,
                 num_qubits: int) -> list[tuple[int, int, int]]:
    """``(measurement index, qubit, clbit)`` of the measurement that finally writes each clbit."""
    last: dict[int, tuple[int, int]] = {}
    for m, (q, c) in enumerate(measurements):
        if not 0 <= q < num_qubits:
            raise ValueError(f"measurement {m} reads qubit {q}, outside 0..{num_qubits - 1}")
        if not 0 <= c < num_clbits:
            raise ValueError(f"measurement {m} writes clbit {c}, outside 0..{num_clbits - 1}")
        last[c] = (m, q)
    return [(m, q, c) for c, (m, q) in sorted(last.items())]


def _key(value: int, num_clbits: int) -> str:
    return format(value, f"0{num_clbits}b") if num_clbits else ""


def distribution(state: QuantumState, measurements: Sequence[tuple[int, int]], num_clbits: int,
                 cutoff: float = 1e-15) -> dict[str, float]:
    """Exact outcome distribution over the clbits of terminal ``(qubit, clbit)`` measurements."""
    probs = state.probabilities()
    writers = _last_writer(measurements, num_clbits, state.num_qubits)
    idx = np.arange(probs.size, dtype=np.int64)
    if num_clbits > 62:
        keys = np.zeros((probs.size, num_clbits), dtype=np.uint8)
        for _, q, c in writers:
            keys[:, num_clbits - 1 - c] = (idx >> q) & 1
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        totals = np.bincount(inv.ravel(), weights=probs)
        labels = ["".join(map(str, row)) for row in uniq]
    else:
        out = np.zeros(probs.size, dtype=np.int64)
        for _, q, c in writers:
            out |= ((idx >> q) & 1) << c
        uniq, inv = np.unique(out, return_inverse=True)
        totals = np.bincount(inv.ravel(), weights=probs)
        labels = [_key(int(v), num_clbits) for v in uniq]
    total = float(totals.sum())
    return {k: float(p) / total for k, p in zip(labels, totals) if p > cutoff}


def ideal_distribution(circuit: Circuit, limits: StateLimits | None = None) -> dict[str, float]:
    """Noiseless outcome probabilities over the circuit's clbits (keys like qiskit counts)."""
    psi = ideal_state(circuit, limits)
    state = QuantumState("statevector", circuit.num_qubits, psi)
    return distribution(state, circuit.measurements, circuit.num_clbits)


def sample_counts(state: QuantumState, measurements: Sequence[tuple[int, int]], num_clbits: int, shots: int,
                  seed: int | None, readout_fidelity: Mapping[int, float] | None = None) -> dict[str, int]:
    """Sample ``shots`` terminal measurements of ``state``; deterministic for a given ``seed``.

    ``readout_fidelity`` maps a qubit to the readout fidelity of the node holding it: each
    measurement's bit flips independently with probability ``1 - fidelity``.
    """
    if not isinstance(shots, int) or isinstance(shots, bool) or shots < 1:
        raise ValueError(f"shots must be a positive integer, got {shots!r}")
    readout = dict(readout_fidelity or {})
    for q, f in readout.items():
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"readout fidelity of qubit {q} must be in [0, 1], got {f!r}")
    rng = np.random.default_rng(seed)
    probs = state.probabilities()
    probs = probs / probs.sum()
    samples = rng.choice(probs.size, size=shots, p=probs)
    writers = _last_writer(measurements, num_clbits, state.num_qubits)
    # bits[s, j]: outcome of the j-th final writer in shot s, with its own readout flip
    bits = np.empty((shots, len(writers)), dtype=np.uint8)
    for j, (_, q, _) in enumerate(writers):
        col = ((samples >> q) & 1).astype(np.uint8)
        flip_p = 1.0 - readout.get(q, 1.0)
        if flip_p > 0.0:
            col ^= (rng.random(shots) < flip_p).astype(np.uint8)
        bits[:, j] = col
    if num_clbits <= 62:
        packed = np.zeros(shots, dtype=np.int64)
        for j, (_, _, c) in enumerate(writers):
            packed |= bits[:, j].astype(np.int64) << c
        uniq, counts = np.unique(packed, return_counts=True)
        return {_key(int(v), num_clbits): int(n) for v, n in zip(uniq, counts)}
    rows = np.zeros((shots, num_clbits), dtype=np.uint8)
    for j, (_, _, c) in enumerate(writers):
        rows[:, num_clbits - 1 - c] = bits[:, j]
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    return {"".join(map(str, row)): int(n) for row, n in zip(uniq, counts)}


def hellinger_fidelity(counts: Mapping[str, float], probs: Mapping[str, float]) -> float:
    """(sum_i sqrt(p_i q_i))**2 of the two normalised distributions (qiskit's definition)."""
    p_sum = float(sum(counts.values()))
    q_sum = float(sum(probs.values()))
    if p_sum <= 0 or q_sum <= 0:
        raise ValueError("hellinger_fidelity needs two non-empty distributions with positive total")
    bc = math.fsum(math.sqrt((v / p_sum) * (probs[k] / q_sum)) for k, v in counts.items() if k in probs)
    return min(1.0, bc * bc)


def state_fidelity(state: QuantumState, ideal: np.ndarray) -> float:
    """Fidelity of ``state`` to the pure state ``ideal`` (a normalised state vector)."""
    phi = np.asarray(ideal, dtype=np.complex128)
    if phi.shape != (1 << state.num_qubits,):
        raise ValueError(f"ideal state has shape {phi.shape}, expected ({1 << state.num_qubits},)")
    if state.kind == "statevector":
        return float(abs(np.vdot(phi, state.data)) ** 2)
    return float(np.real(np.vdot(phi, state.data @ phi)))
