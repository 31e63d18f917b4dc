"""Hypothesis strategies for random IR circuits, built directly on qnb.circuits.ir (no dependency on
qnb.circuits.random_circuit) and covering every gate of the library, ctrl_qubits, initial resets,
barriers and terminal measurements."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from qnb.circuits.gates import GATES
from qnb.circuits.ir import Circuit, Operation

GATE_NAMES = sorted(GATES)
ANGLES = st.floats(min_value=-2 * math.pi, max_value=2 * math.pi, allow_nan=False, allow_infinity=False)


@st.composite
def gate_ops(draw, num_qubits: int, allow_ctrl: bool = True) -> Operation:
    """One random gate that fits on ``num_qubits`` qubits (optionally with extra controls)."""
    names = [n for n in GATE_NAMES if GATES[n].num_qubits <= num_qubits]
    name = draw(st.sampled_from(names))
    info = GATES[name]
    ctrl = 0
    if allow_ctrl and info.num_qubits <= 2 and num_qubits > info.num_qubits:
        room = min(2, num_qubits - info.num_qubits)
        ctrl = draw(st.sampled_from([0, 0, 0, 0] + list(range(1, room + 1))))  # controls on some ops
    qubits = draw(st.permutations(range(num_qubits)))[: info.num_qubits + ctrl]
    params = tuple(draw(ANGLES) for _ in range(info.num_params))
    return Operation(name, tuple(qubits), (), params, ctrl)


@st.composite
def circuits(draw, min_qubits: int = 1, max_qubits: int = 4, max_gates: int = 14,
             measure: bool = True, allow_ctrl: bool = True) -> Circuit:
    """A random executable circuit: initial resets, gates and barriers, terminal measurements."""
    n = draw(st.integers(min_qubits, max_qubits))
    ops: list[Operation] = []
    for q in draw(st.lists(st.integers(0, n - 1), max_size=2)):
        ops.append(Operation("reset", (q,)))
    for _ in range(draw(st.integers(0, max_gates))):
        if draw(st.integers(0, 9)) == 0:
            ops.append(Operation("barrier", tuple(range(n))))
        else:
            ops.append(draw(gate_ops(n, allow_ctrl)))
    num_clbits = 0
    if measure:
        measured = draw(st.lists(st.integers(0, n - 1), max_size=n))
        num_clbits = max(len(measured), 1)
        ops += [Operation("measure", (q,), (c,)) for c, q in enumerate(measured)]
    return Circuit(n, num_clbits, tuple(ops))
