"""Accumulates qubits, clbits, parameters and operations while a front end walks a program.

Both OpenQASM 3 front ends (the AST lowering and the fast path) build through this one class, so
labels, parameter order and numbering cannot differ between them.
"""

from __future__ import annotations

from .expr import to_param
from .ir import Circuit, Operation

__all__ = ["CircuitBuilder", "MAX_OPERATIONS"]

#: Unrolling guard: a program that expands beyond this is rejected instead of exhausting memory.
MAX_OPERATIONS = 2_000_000


class CircuitBuilder:
    def __init__(self) -> None:
        self.qubit_labels: list[str] = []
        self.clbit_labels: list[str] = []
        self.hidden_clbits: set[int] = set()
        self.parameters: list[str] = []
        self.ops: list[Operation] = []

    def add_qubits(self, labels: list[str]) -> list[int]:
        start = len(self.qubit_labels)
        self.qubit_labels.extend(labels)
        return list(range(start, len(self.qubit_labels)))

    def add_clbits(self, labels: list[str], hidden: bool = False) -> list[int]:
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
        self.ops.append(op)

    def emit_final(self, op: Operation) -> None:
        """Append an op whose parameters are already floats/ParamExpr (fast path)."""
        self.ops.append(op)

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
