"""The gate library of qnb's IR: canonical names, arity, parameter count, and facts the planner needs.

Names follow qiskit's standard gates and OpenQASM 3's ``stdgates.inc`` so conversion is by name.
``DIAGONAL`` records which gates are diagonal in the computational basis on a given qubit: the
ebit rule in ``docs/planning.md`` lets one cat-entangled copy of a qubit serve every remote gate
until a non-diagonal gate acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GateInfo", "GATES", "STANDARD_GATE_SET", "gate_info", "is_diagonal_on", "is_two_qubit"]


@dataclass(frozen=True, slots=True)
class GateInfo:
    name: str
    num_qubits: int
    num_params: int
    #: qubit positions (within the gate's qubit tuple) on which the gate is diagonal, i.e. acts
    #: only as a control / phase. Used by the ebit accounting.
    diagonal_on: frozenset[int] = frozenset()


def _g(name: str, nq: int, np_: int = 0, diag: tuple[int, ...] = ()) -> GateInfo:
    return GateInfo(name, nq, np_, frozenset(diag))


GATES: dict[str, GateInfo] = {g.name: g for g in [
    # 1-qubit
    _g("id", 1, 0, (0,)), _g("x", 1), _g("y", 1), _g("z", 1, 0, (0,)), _g("h", 1),
    _g("s", 1, 0, (0,)), _g("sdg", 1, 0, (0,)), _g("t", 1, 0, (0,)), _g("tdg", 1, 0, (0,)),
    _g("sx", 1), _g("sxdg", 1), _g("rx", 1, 1), _g("ry", 1, 1), _g("rz", 1, 1, (0,)),
    _g("p", 1, 1, (0,)), _g("u1", 1, 1, (0,)), _g("u2", 1, 2), _g("u3", 1, 3), _g("u", 1, 3),
    _g("r", 1, 2),
    # 2-qubit
    _g("cx", 2, 0, (0,)), _g("cy", 2, 0, (0,)), _g("cz", 2, 0, (0, 1)), _g("ch", 2, 0, (0,)),
    _g("cp", 2, 1, (0, 1)), _g("cu1", 2, 1, (0, 1)), _g("crx", 2, 1, (0,)), _g("cry", 2, 1, (0,)),
    _g("crz", 2, 1, (0,)), _g("cu", 2, 4, (0,)), _g("cu3", 2, 3, (0,)), _g("csx", 2, 0, (0,)),
    _g("swap", 2), _g("iswap", 2), _g("ecr", 2), _g("dcx", 2),
    _g("rxx", 2, 1), _g("ryy", 2, 1), _g("rzz", 2, 1, (0, 1)), _g("rzx", 2, 1, (0,)),
    # 3-qubit
    _g("ccx", 3, 0, (0, 1)), _g("ccz", 3, 0, (0, 1, 2)), _g("cswap", 3, 0, (0,)),
    _g("rccx", 3, 0, (0, 1)),
]}

#: Every unitary gate name qnb understands; the default gate set of a simulated node.
STANDARD_GATE_SET: frozenset[str] = frozenset(GATES)


def gate_info(name: str) -> GateInfo:
    try:
        return GATES[name]
    except KeyError:
        raise KeyError(f"unknown gate {name!r}") from None


def is_diagonal_on(name: str, position: int, ctrl_qubits: int = 0) -> bool:
    """True when gate ``name`` (with ``ctrl_qubits`` extra controls first) is diagonal on ``position``."""
    if position < ctrl_qubits:
        return True
    info = GATES.get(name)
    return bool(info and (position - ctrl_qubits) in info.diagonal_on)


def is_two_qubit(num_qubits: int) -> bool:
    return num_qubits >= 2
