"""Accumulates qubits, clbits, parameters and operations while a front end walks a program.

All front ends (the OpenQASM 3 AST lowering and fast path, the qiskit converter behind OpenQASM 2)
build through this one class, so labels, parameter order and numbering cannot differ between them.
It also holds the declaration and operation bounds (:mod:`.limits`): :meth:`check_qubits` before
labels are made, :meth:`check_ops` as operations arrive. A violation raises
:class:`~qnb.circuits.expr.LimitError`; the front end adds the location.
"""

from __future__ import annotations

from .expr import LimitError, to_param
from .ir import Circuit, Operation
from .limits import ParseLimits, current

__all__ = ["CircuitBuilder", "MAX_OPERATIONS"]

#: Default unrolling guard (``parse.max_operations``); the active limits decide.
MAX_OPERATIONS = ParseLimits().max_operations


class CircuitBuilder:
    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or current().limits
        self.max_ops = self.limits.max_operations
        self.qubit_labels: list[str] = []
        self.clbit_labels: list[str] = []
        self.hidden_clbits: set[int] = set()
        self.parameters: list[str] = []
        self.ops: list[Operation] = []

    # ------------------------------------------------------------------ bounds
    def check_qubits(self, n: int, what: str = "the program") -> None:
        """LimitError unless ``n`` more qubits fit (checked before any label is made)."""
        limit = self.limits.max_qubits
        if n > limit - len(self.qubit_labels):
            raise LimitError(f"{what} brings the qubit count to {_count(len(self.qubit_labels) + n)}; the limit "
                             f"is {limit}", "parse.max_qubits", construct="qubit count")

    def check_clbits(self, n: int, what: str = "the program") -> None:
        limit = self.limits.max_clbits
        if n > limit - len(self.clbit_labels):
            raise LimitError(f"{what} brings the classical bit count to {_count(len(self.clbit_labels) + n)}; "
                             f"the limit is {limit}", "parse.max_clbits", construct="bit count")

    def check_ops(self, pending: int = 0) -> None:
        """LimitError when the operations so far (plus ``pending`` held elsewhere) exceed the bound."""
        if len(self.ops) + pending > self.max_ops:
            raise self.ops_error()

    def ops_error(self) -> LimitError:
        return LimitError(f"the program expands to more than {self.max_ops} operations", "parse.max_operations",
                          construct="operation count")

    # ------------------------------------------------------------ declarations
    def add_qubits(self, labels: list[str]) -> list[int]:
        self.check_qubits(len(labels))
        start = len(self.qubit_labels)
        self.qubit_labels.extend(labels)
        return list(range(start, len(self.qubit_labels)))

    def add_clbits(self, labels: list[str], hidden: bool = False) -> list[int]:
        self.check_clbits(len(labels))
        start = len(self.clbit_labels)
        self.clbit_labels.extend(labels)
        idx = list(range(start, len(self.clbit_labels)))
        if hidden:
            self.hidden_clbits.update(idx)
        return idx

    def emit(self, op: Operation) -> None:
        """Append ``op`` with final (float / ParamExpr) parameters."""
        if op.params:
            op = Operation(op.name, op.qubits, op.clbits, tuple(to_param(p) for p in op.params), op.ctrl_qubits)
        ops = self.ops
        if len(ops) >= self.max_ops:
            raise self.ops_error()
        ops.append(op)

    def emit_unchecked(self, op: Operation) -> None:
        """:meth:`emit` for a caller that checks :meth:`check_ops` itself (the fast path, per statement)."""
        if op.params:
            op = Operation(op.name, op.qubits, op.clbits, tuple(to_param(p) for p in op.params), op.ctrl_qubits)
        self.ops.append(op)

    def emit_final(self, op: Operation) -> None:
        """Append an op whose parameters are already floats/ParamExpr (fast path, qiskit converter)."""
        ops = self.ops
        if len(ops) >= self.max_ops:
            raise self.ops_error()
        ops.append(op)

    def build(self, name: str, source_format: str, source: str | None) -> Circuit:
        ops, clbit_labels = self.ops, self.clbit_labels
        if self.hidden_clbits:
            used = {c for op in ops for c in op.clbits}
            drop = {c for c in self.hidden_clbits if c not in used}
            if drop:
                remap, keep = {}, []
                for i, label in enumerate(clbit_labels):
                    if i not in drop:
                        remap[i] = len(keep)
                        keep.append(label)
                ops = [Operation(o.name, o.qubits, tuple(remap[c] for c in o.clbits), o.params, o.ctrl_qubits)
                       if o.clbits else o for o in ops]
                clbit_labels = keep
        return Circuit(num_qubits=len(self.qubit_labels), num_clbits=len(clbit_labels), operations=tuple(ops),
                       parameters=tuple(self.parameters), name=name, source_format=source_format,
                       qubit_labels=tuple(self.qubit_labels), clbit_labels=tuple(clbit_labels), source=source)


def _count(n: int) -> str:
    return str(n) if n < 10**12 else f"~{n:.3g}"
