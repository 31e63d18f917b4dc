"""Recognise a user ``gate`` definition that *is* an IR library gate (FR-003).

OpenQASM 3 files written by qiskit (and by :func:`qnb.circuits.to_qasm3`) define gates that
``stdgates.inc`` lacks, e.g. ``gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }``. Inlining
is always correct, but keeping one ``rzz`` is better for the planner (it is diagonal, so cheaper to
distribute). A definition is mapped to the library gate of the same name only if its matrix,
global phase included, equals the library matrix at several generic parameter points; otherwise
it is inlined. Equality at generic points of an analytic family is the standard identity test.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .gates import GATES
from .ir import Operation

__all__ = ["body_matches_gate", "SAMPLE_POINTS"]

#: A body longer than this is never taken for a library gate (its unitary is not even computed).
MAX_BODY_OPS = 256

#: Generic parameter values (irrational-looking, no symmetry) at which definitions are compared.
SAMPLE_POINTS = ((0.3719, -1.2107, 2.0303, 0.5927), (1.9123, 0.4337, -0.6701, -2.2919),
                 (-2.7077, 2.9511, 1.1353, 0.0617))


def body_matches_gate(name: str, body: Callable[[tuple[float, ...]], list[Operation]]) -> bool:
    """True when ``body(params)`` has exactly the matrix of IR gate ``name`` at every sample point."""
    from .export import ops_unitary, qiskit_gate
    from qiskit.quantum_info import Operator

    info = GATES[name]
    points = SAMPLE_POINTS if info.num_params else SAMPLE_POINTS[:1]
    for point in points:
        params = tuple(point[: info.num_params])
        ops = body(params)
        if len(ops) > MAX_BODY_OPS or any(op.name in ("measure", "reset") for op in ops):
            return False
        got = ops_unitary(ops, info.num_qubits)
        want = Operator(qiskit_gate(Operation(name, tuple(range(info.num_qubits)), (), params))).data
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-10, rtol=0):
            return False
    return True
