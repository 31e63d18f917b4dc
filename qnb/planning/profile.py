"""Analysis step: the facts about a circuit that node selection and partitioning need (FR-004).

Nothing here depends on a topology. The profile records, per logical qubit, which gate names act
on it (a qubit may only live on a node supporting all of them) and how many 1-qubit, 2-qubit and
readout operations are attributed to it (the unary fidelity cost of placing it on a node).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..circuits.gates import is_diagonal_on
from ..circuits.ir import NON_GATE_OPS, Circuit, Operation

__all__ = ["CircuitProfile", "profile_circuit", "diag_mask", "exec_position", "op_class"]


@lru_cache(maxsize=4096)
def _mask(name: str, nq: int, ctrl: int) -> tuple[bool, ...]:
    if name in NON_GATE_OPS:
        return (False,) * nq
    return tuple(is_diagonal_on(name, pos, ctrl) for pos in range(nq))


def diag_mask(op: Operation) -> tuple[bool, ...]:
    """Per qubit position: is ``op`` diagonal there? (measure and reset never are; cached per gate)."""
    return _mask(op.name, len(op.qubits), op.ctrl_qubits)


def exec_position(op: Operation) -> int:
    """Position (in ``op.qubits``) of the qubit whose node executes a multi-qubit gate by default.

    That is the last position on which the gate is not diagonal (the target), or the last qubit when
    the gate is diagonal on every qubit (``cz``, ``rzz``, ``ccz``).
    """
    mask = diag_mask(op)
    for pos in range(len(mask) - 1, -1, -1):
        if not mask[pos]:
            return pos
    return len(mask) - 1


def op_class(op: Operation) -> str:
    """``"none"`` (barrier), ``"readout"`` (measure), ``"1q"`` (1-qubit gate, reset) or ``"2q"``."""
    if op.name == "barrier":
        return "none"
    if op.name == "measure":
        return "readout"
    if op.name == "reset" or len(op.qubits) == 1:
        return "1q"
    return "2q"


@dataclass(frozen=True)
class CircuitProfile:
    num_qubits: int
    #: sorted unitary gate names used by the circuit
    gate_names: tuple[str, ...]
    #: per qubit: gate names acting on it (the node holding it must support all of them)
    qubit_gates: tuple[frozenset[str], ...]
    #: per qubit: (1q ops, 2q-equivalent ops, readouts) attributed to it; a k-qubit gate counts
    #: as k-1 two-qubit gates on its executing qubit
    attributed: tuple[tuple[int, int, int], ...]
    #: circuit totals of the same three classes
    totals: tuple[int, int, int]
    #: per gate name: the qubits it touches, sorted (used in error messages)
    gate_qubits: tuple[tuple[str, tuple[int, ...]], ...]


def profile_circuit(circuit: Circuit) -> CircuitProfile:
    n = circuit.num_qubits
    gates: list[set[str]] = [set() for _ in range(n)]
    attr = [[0, 0, 0] for _ in range(n)]
    by_gate: dict[str, set[int]] = {}
    for op in circuit.operations:
        cls = op_class(op)
        if cls == "none":
            continue
        if op.is_gate:
            by_gate.setdefault(op.name, set()).update(op.qubits)
            for q in op.qubits:
                gates[q].add(op.name)
        if cls == "2q":
            attr[op.qubits[exec_position(op)]][1] += len(op.qubits) - 1
        elif cls == "readout":
            attr[op.qubits[0]][2] += 1
        else:
            attr[op.qubits[0]][0] += 1
    totals = tuple(sum(a[i] for a in attr) for i in range(3))
    return CircuitProfile(
        num_qubits=n,
        gate_names=tuple(sorted(by_gate)),
        qubit_gates=tuple(frozenset(g) for g in gates),
        attributed=tuple(tuple(a) for a in attr),
        totals=totals,  # type: ignore[arg-type]
        gate_qubits=tuple((g, tuple(sorted(by_gate[g]))) for g in sorted(by_gate)),
    )
