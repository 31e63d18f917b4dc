"""Which circuits the distributed executor runs correctly, checked before anything runs.

The executor hands one state along the fragments and samples counts from the *final* state, so
measurements must be terminal: a gate or reset after a measurement on the same qubit would need
the collapsed, classically-known outcome mid-run (and classical control across nodes), which qnb
does not simulate. A reset is only meaningful as initialisation: before any gate touches a qubit
it is |0> (untouched qubits are never entangled), so the reset is a no-op; after a gate it would
be a mid-circuit, non-unitary collapse, rejected likewise. Unbound parameters cannot run at all.
Each rejection is ``UnsupportedConstructError`` naming the construct, the op index and the qubit.
"""

from __future__ import annotations

from ..circuits.gates import GATES
from ..circuits.ir import Circuit, ParamExpr
from ..errors import UnsupportedConstructError

__all__ = ["check_executable"]


def check_executable(circuit: Circuit) -> None:
    """Raise UnsupportedConstructError unless ``circuit`` has only terminal measurements,
    initial resets, known gates and bound parameters."""
    measured: set[int] = set()
    touched: set[int] = set()
    for i, op in enumerate(circuit.operations):
        name = op.name
        if name == "barrier":
            continue
        if op.is_symbolic:
            names = sorted({n for p in op.params if isinstance(p, ParamExpr) for n in p.names})
            raise UnsupportedConstructError(
                f"op {i} ({name}) has unbound parameter(s) {names}; bind values before running",
                construct="unbound_parameter", op_index=i, parameters=names)
        if name == "measure":
            measured.add(op.qubits[0])
            continue
        if name == "reset":
            q = op.qubits[0]
            if q in measured:
                raise UnsupportedConstructError(
                    f"op {i}: reset of qubit {q} after it was measured (mid-circuit measurement and "
                    f"reset are not supported; measurements must be terminal)",
                    construct="reset_after_measure", op_index=i, qubit=q)
            if q in touched:
                raise UnsupportedConstructError(
                    f"op {i}: reset of qubit {q} after a gate acted on it (mid-circuit reset is not "
                    f"supported; a reset is only allowed before the first gate on its qubit)",
                    construct="mid_circuit_reset", op_index=i, qubit=q)
            continue
        if name not in GATES:
            raise UnsupportedConstructError(f"op {i}: unknown operation {name!r}", construct=name, op_index=i)
        after = [q for q in op.qubits if q in measured]
        if after:
            raise UnsupportedConstructError(
                f"op {i}: gate {name} on qubit {after[0]} after it was measured (mid-circuit "
                f"measurement is not supported; measurements must be terminal)",
                construct="mid_circuit_measurement", op_index=i, qubit=after[0])
        touched.update(op.qubits)
