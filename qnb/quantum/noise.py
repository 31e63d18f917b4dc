"""A node's noise model, derived from the fidelities it advertises (FR-001, FR-008).

Every gate is followed by a depolarizing channel whose *average gate fidelity* equals the node's
fidelity for that gate class. For the d-dimensional depolarizing channel (d = 2**k qubits)

    E(rho) = (1 - lam) rho + lam Tr(rho) I/d

the process (entanglement) fidelity is F_pro = 1 - lam + lam/d**2 = 1 - lam (d**2 - 1)/d**2
(only the identity part keeps the maximally entangled state; I/d overlaps it with 1/d**2), and
the average gate fidelity is F_avg = (d F_pro + 1)/(d + 1) (Horodecki / Nielsen), which gives

    F_avg = 1 - lam (d - 1)/d        =>        lam = (1 - F_avg) d/(d - 1).

qiskit-aer's ``depolarizing_error(lam, k)`` uses exactly this ``lam`` and accepts
0 <= lam <= d**2/(d**2 - 1), so a fidelity can be modelled exactly when F_avg >= 1/(d + 1)
(1/3 for one qubit, 1/5 for two). Smaller advertised fidelities are rejected with NoiseError.

Gates on k >= 3 qubits (``ccx``, ``cswap``, multi-controlled gates) have no advertised fidelity.
They get one k-qubit depolarizing channel with F_avg = F_2q ** m, m = number of CX gates in the
gate's standard decomposition (6 for ccx/ccz, 8 for cswap, 3 for rccx; other multi-controlled
gates: counted once from qiskit's decomposition into {cx, u}). This is an approximation (it
ignores the 1-qubit gates of the decomposition and the structure of their errors); when F_2q**m
falls below 1/d the channel saturates at full depolarization (lam = 1).

Readout error is a symmetric bit flip with probability 1 - F_readout; qnb applies it when
sampling counts (``fidelity.sample_counts``) and ``noise_model`` includes it for aer runs that
measure. Link noise of remote operations uses the same depolarizing construction on the
operation's qubits with F_avg = link fidelity (see ``executor.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..circuits.gates import GATES
from ..errors import QnbError

__all__ = ["NoiseParams", "NoiseError", "noise_model", "depolarizing_lambda", "depolarizing_error_for",
           "depolarizing_superop", "gate_fidelity", "gate_channel", "two_qubit_count", "THREE_QUBIT_CX_COUNT"]

#: CX count of the textbook decompositions of qnb's named 3-qubit gates (Nielsen & Chuang Fig. 4.9
#: for ccx; ccz = ccx conjugated by H; cswap = ccx between two CX; rccx = Margolus, 3 CX).
THREE_QUBIT_CX_COUNT = {"ccx": 6, "ccz": 6, "cswap": 8, "rccx": 3}


class NoiseError(QnbError):
    """A fidelity that the depolarizing noise model cannot represent."""

    type = "noise_error"


def _check_fidelity(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0.0 < value <= 1.0:
        raise NoiseError(f"{name} must be a number in (0, 1], got {value!r}", field=name, value=value)
    return float(value)


@dataclass(frozen=True)
class NoiseParams:
    """The fidelities a node's noise model is built from (average gate fidelities, readout = 1 - p_flip)."""

    fidelity_1q: float = 1.0
    fidelity_2q: float = 1.0
    fidelity_readout: float = 1.0

    def __post_init__(self) -> None:
        for name, k in (("fidelity_1q", 1), ("fidelity_2q", 2)):
            value = _check_fidelity(name, getattr(self, name))
            object.__setattr__(self, name, value)
            depolarizing_lambda(value, k, what=name)  # raises NoiseError below the representable range
        object.__setattr__(self, "fidelity_readout", _check_fidelity("fidelity_readout", self.fidelity_readout))

    @property
    def is_noiseless(self) -> bool:
        return self.fidelity_1q == 1.0 and self.fidelity_2q == 1.0 and self.fidelity_readout == 1.0

    @property
    def gates_noiseless(self) -> bool:
        """True when gates add no noise (readout may still flip bits)."""
        return self.fidelity_1q == 1.0 and self.fidelity_2q == 1.0

    @classmethod
    def from_node(cls, node) -> "NoiseParams":
        """From anything with ``fidelity_1q/2q/readout`` attributes (``NodeSpec``, an advert record)."""
        return cls(node.fidelity_1q, node.fidelity_2q, node.fidelity_readout)

    def to_json(self) -> dict:
        return {"fidelity_1q": self.fidelity_1q, "fidelity_2q": self.fidelity_2q,
                "fidelity_readout": self.fidelity_readout}


def depolarizing_lambda(fidelity: float, num_qubits: int, *, saturate: bool = False,
                        what: str = "fidelity") -> float:
    """Depolarizing parameter whose channel has average gate fidelity ``fidelity`` on ``num_qubits``.

    ``saturate=True`` maps fidelities below 1/d to the fully depolarizing channel (lam = 1);
    otherwise a fidelity below 1/(d + 1), which no depolarizing channel reaches, raises NoiseError.
    """
    d = 2 ** num_qubits
    lam = (1.0 - fidelity) * d / (d - 1)
    if saturate:
        return min(lam, 1.0)
    lam_max = d * d / (d * d - 1)
    if lam > lam_max + 1e-12:
        raise NoiseError(f"{what}={fidelity!r} is below {1 / (d + 1):.6g}, the lowest average gate "
                         f"fidelity of a {num_qubits}-qubit depolarizing channel", field=what, value=fidelity)
    return min(lam, lam_max)


@lru_cache(maxsize=1024)
def depolarizing_error_for(fidelity: float, num_qubits: int, saturate: bool = False):
    """``qiskit_aer.noise`` depolarizing QuantumError with average gate fidelity ``fidelity``,
    or None for a perfect gate."""
    if fidelity >= 1.0:
        return None
    from qiskit_aer.noise import depolarizing_error
    return depolarizing_error(depolarizing_lambda(fidelity, num_qubits, saturate=saturate), num_qubits)


@lru_cache(maxsize=1024)
def depolarizing_superop(fidelity: float, num_qubits: int, saturate: bool = False) -> np.ndarray | None:
    """The same channel as a superoperator matrix (qiskit ``SuperOp`` convention), for aer's
    ``superop`` instruction under the density-matrix method."""
    err = depolarizing_error_for(fidelity, num_qubits, saturate)
    if err is None:
        return None
    from qiskit.quantum_info import SuperOp
    m = np.ascontiguousarray(SuperOp(err).data, dtype=np.complex128)
    m.setflags(write=False)
    return m


@lru_cache(maxsize=256)
def two_qubit_count(name: str, ctrl_qubits: int = 0) -> int:
    """CX count of a gate's standard decomposition (table for named 3q gates, else qiskit's)."""
    if ctrl_qubits == 0 and name in THREE_QUBIT_CX_COUNT:
        return THREE_QUBIT_CX_COUNT[name]
    from qiskit import QuantumCircuit, transpile

    from .gatemap import qiskit_gate
    # representative non-special angles so no rotation simplifies away
    params = tuple(0.1 + 0.2 * i for i in range(GATES[name].num_params))
    gate = qiskit_gate(name, params, ctrl_qubits)
    qc = QuantumCircuit(gate.num_qubits)
    qc.append(gate, range(gate.num_qubits))
    out = transpile(qc, basis_gates=["cx", "u"], optimization_level=0)
    return int(out.count_ops().get("cx", 0))


def gate_fidelity(params: NoiseParams, name: str, num_qubits: int, ctrl_qubits: int = 0) -> float:
    """Average gate fidelity qnb assigns to gate ``name`` acting on ``num_qubits`` qubits in total."""
    if num_qubits == 1:
        return params.fidelity_1q
    if num_qubits == 2:
        return params.fidelity_2q
    if params.fidelity_2q == 1.0:
        return 1.0
    return params.fidelity_2q ** two_qubit_count(name, ctrl_qubits)


def gate_channel(params: NoiseParams, name: str, num_qubits: int, ctrl_qubits: int = 0):
    """The QuantumError qnb applies after gate ``name`` (None when the gate is perfect)."""
    return depolarizing_error_for(gate_fidelity(params, name, num_qubits, ctrl_qubits), num_qubits,
                                  num_qubits >= 3)


def noise_model(params: NoiseParams | None):
    """A ``qiskit_aer.noise.NoiseModel`` for a node, or None when every fidelity is 1.

    It covers every gate name of ``qnb.circuits.gates.GATES`` plus readout. The executor applies
    the identical channels explicitly (so multi-controlled gates, whose qiskit names vary, are
    covered too); ``tests/quantum/test_noise.py`` checks both paths agree.
    """
    if params is None or params.is_noiseless:
        return None
    from qiskit_aer.noise import NoiseModel, ReadoutError
    nm = NoiseModel()
    by_arity: dict[int, list[str]] = {}
    for name, info in GATES.items():
        if info.num_qubits <= 2:
            by_arity.setdefault(info.num_qubits, []).append(name)
        else:
            err = gate_channel(params, name, info.num_qubits)
            if err is not None:
                nm.add_all_qubit_quantum_error(err, [name])
    for k, names in sorted(by_arity.items()):
        err = gate_channel(params, names[0], k)
        if err is not None:
            nm.add_all_qubit_quantum_error(err, names)
    f = params.fidelity_readout
    if f < 1.0:
        nm.add_all_qubit_readout_error(ReadoutError([[f, 1.0 - f], [1.0 - f, f]]))
    return nm
