"""IR operations -> qiskit instructions that qiskit-aer runs without a transpiler pass.

qnb gate names are qiskit's standard gate names (``qnb.circuits.gates``), so the gate class comes
from qiskit's own name mapping. ``ctrl_qubits`` become ``gate.control(n)`` with the controls first,
which is the IR's qubit convention too. Aer's assembler only knows the gates in the simulation
method's basis; any other gate (``ch``, ``iswap``, ``dcx``, ``rccx``, most multi-controlled gates
under the density-matrix method ...) is sent as a ``unitary`` instruction holding its exact matrix.
That keeps every run on the fast path (no ``transpile``) and exact. Gate objects and matrices are
cached because fragments are small and this conversion is the per-call overhead.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from qiskit.circuit import Gate
from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

from ..circuits.gates import GATES
from ..circuits.ir import Operation

__all__ = ["qiskit_gate", "gate_matrix", "aer_instruction"]

_MAPPING = get_standard_gate_name_mapping()


@lru_cache(maxsize=8192)
def qiskit_gate(name: str, params: tuple[float, ...] = (), ctrl_qubits: int = 0) -> Gate:
    """The qiskit gate for a qnb gate name (shared, treat as immutable)."""
    if name not in GATES:
        raise KeyError(f"unknown gate {name!r}")
    gate = type(_MAPPING[name])(*params)
    if ctrl_qubits:
        gate = gate.control(ctrl_qubits, annotated=False)  # a concrete gate aer and Operator accept
    return gate


@lru_cache(maxsize=8192)
def gate_matrix(name: str, params: tuple[float, ...] = (), ctrl_qubits: int = 0) -> np.ndarray:
    """Unitary matrix of the gate in qiskit's little-endian convention over its own qubits."""
    m = np.ascontiguousarray(Operator(qiskit_gate(name, params, ctrl_qubits)).data, dtype=np.complex128)
    m.setflags(write=False)
    return m


@lru_cache(maxsize=8192)
def _unitary(name: str, params: tuple[float, ...], ctrl_qubits: int) -> UnitaryGate:
    # a writable copy: aer reads a *read-only* numpy matrix transposed (see docs/quantum.md)
    return UnitaryGate(np.array(gate_matrix(name, params, ctrl_qubits)), label=name, check_input=False)


def aer_instruction(op: Operation, native: frozenset[str]) -> Gate:
    """The instruction aer should apply for gate ``op`` given the method's native gate names."""
    params = tuple(float(p) for p in op.params)
    gate = qiskit_gate(op.name, params, op.ctrl_qubits)
    if gate.name in native:
        return gate
    return _unitary(op.name, params, op.ctrl_qubits)
