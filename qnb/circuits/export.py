"""IR -> qiskit ``QuantumCircuit`` and IR -> OpenQASM 3 text (FR-003).

``to_qiskit`` builds each gate from qiskit's standard gate class of the same name (IR names are
qiskit's), adds ``ctrl_qubits`` with ``gate.control(n)``, and turns :class:`ParamExpr` into
qiskit parameter expressions. ``to_qasm3`` lives in :mod:`.qasm3_export` and is re-exported here.
"""

from __future__ import annotations

import ast
import math
from functools import lru_cache

from ..errors import QnbError
from .gates import GATES
from .ir import Circuit, Operation, ParamExpr
from .qasm3_export import to_qasm3
from .registers import group_registers

__all__ = ["to_qiskit", "to_qasm3", "qiskit_gate", "ops_unitary"]


@lru_cache(maxsize=1)
def _gate_classes() -> dict[str, type]:
    from qiskit.circuit.library import get_standard_gate_name_mapping
    return {name: type(g) for name, g in get_standard_gate_name_mapping().items() if name in GATES}


def _qiskit_param(p, params: dict):
    if isinstance(p, ParamExpr):
        return _expr_to_qiskit(ast.parse(p.expr, mode="eval").body, params)
    return float(p)


def _expr_to_qiskit(node: ast.AST, params: dict):
    from qiskit.circuit import Parameter
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        consts = {"pi": math.pi, "tau": math.tau, "euler": math.e, "e": math.e}
        if node.id in consts:
            return consts[node.id]
        if node.id not in params:
            params[node.id] = Parameter(node.id)
        return params[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _expr_to_qiskit(node.operand, params)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _expr_to_qiskit(node.left, params), _expr_to_qiskit(node.right, params)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
               ast.Pow: lambda: a ** b}
        if type(node.op) in ops:
            return ops[type(node.op)]()
        if isinstance(node.op, ast.Mod) and isinstance(a, float) and isinstance(b, float):
            return math.fmod(a, b)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
        x = _expr_to_qiskit(node.args[0], params)
        name = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(node.func.id, node.func.id)
        if isinstance(x, float):
            fn = {"arcsin": math.asin, "arccos": math.acos, "arctan": math.atan}.get(name, getattr(math, name, None))
            if fn is not None:
                return fn(x)
        elif name == "sqrt":
            return x ** 0.5
        elif name in ("sin", "cos", "tan", "exp", "log", "arcsin", "arccos", "arctan"):
            return getattr(x, name)()
    raise QnbError(f"parameter expression element '{ast.unparse(node)}' has no qiskit equivalent",
                   construct="parameter expression")


def qiskit_gate(op: Operation, params: dict | None = None):
    """The qiskit gate for one IR gate operation (with its controls)."""
    cls = _gate_classes().get(op.name)
    if cls is None:
        raise QnbError(f"operation '{op.name}' is not an IR library gate", operation=op.name)
    values = [_qiskit_param(p, params if params is not None else {}) for p in op.params]
    gate = cls(*values)
    if op.ctrl_qubits:
        gate = gate.control(op.ctrl_qubits, annotated=False)  # a concrete ControlledGate (Aer runs it)
    return gate


def to_qiskit(circuit: Circuit, *, measurements: bool = True):
    """An equivalent ``QuantumCircuit``; ``measurements=False`` drops measure ops (for unitaries)."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    qregs = _registers(circuit.qubit_labels, circuit.num_qubits, "q", QuantumRegister)
    cregs = _registers(circuit.clbit_labels, circuit.num_clbits, "c", ClassicalRegister)
    qc = QuantumCircuit(*qregs, *cregs, name=circuit.name)
    params: dict = {}
    for op in circuit.operations:
        if op.name == "measure":
            if measurements:
                qc.measure(op.qubits[0], op.clbits[0])
        elif op.name == "reset":
            qc.reset(op.qubits[0])
        elif op.name == "barrier":
            qc.barrier(*op.qubits)
        else:
            qc.append(qiskit_gate(op, params), list(op.qubits), copy=False)
    return qc


def _registers(labels, n: int, default: str, cls) -> list:
    if n == 0:
        return []
    groups = group_registers(labels)
    if groups is None or any(len(name) == 0 for name, _ in groups):
        return [cls(n, default)]
    return [cls(size or 1, name) for name, size in groups]


def ops_unitary(ops: list[Operation], num_qubits: int):
    """Exact matrix of a list of numeric gate ops, ``gphase`` pseudo-ops included (global phase)."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    qc = QuantumCircuit(num_qubits)
    for op in ops:
        if op.name == "gphase":
            qc.global_phase += float(op.params[0])
        elif op.name == "barrier":
            continue
        else:
            op = Operation(op.name, op.qubits, op.clbits, tuple(float(p) for p in op.params), op.ctrl_qubits)
            qc.append(qiskit_gate(op), list(op.qubits), copy=False)
    return Operator(qc).data
