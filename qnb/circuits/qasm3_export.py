"""IR -> OpenQASM 3 text that :func:`qnb.circuits.load` reads back to the same circuit (FR-003).

The output includes ``stdgates.inc``, adds the exact definitions of :data:`.library.QNB_GATE_DEFS`
for IR gates the standard library lacks (``rzz``, ``iswap`` ...), declares ``input float[64]`` for
each parameter, re-declares the original registers when the labels allow it, and writes every
parameter at full precision. Output for loader-produced circuits round-trips to an equal
fingerprint; the straight-line form also takes the loader's fast path.
"""

from __future__ import annotations

import ast
import math

from ..errors import QnbError
from .gates import GATES
from .ir import Circuit, Operation, ParamExpr
from .library import QNB_GATE_DEFS, STDGATES
from .names import RESERVED
from .registers import group_registers, physical_labels

__all__ = ["to_qasm3"]

_PY_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%"}
_FUNC = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}


def _number(x: float) -> str:
    if not math.isfinite(x):
        raise QnbError(f"cannot write non-finite parameter {x} to OpenQASM", value=str(x))
    return repr(float(x))


def _expr(node: ast.AST) -> str:
    """Python-syntax ParamExpr tree -> OpenQASM 3 expression with the same value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return repr(node.value) if isinstance(node.value, int) else _number(node.value)
    if isinstance(node, ast.Name):
        if node.id == "e":
            return _number(math.e)
        return node.id
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _expr(node.operand)
        return f"-({inner})" if isinstance(node.operand, ast.UnaryOp) else f"-{inner}"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return _expr(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _PY_OPS:
        left = node.left
        # Python divides int by int exactly; OpenQASM truncates: write the left operand as a float
        if (isinstance(node.op, (ast.Div, ast.Mod)) and isinstance(left, ast.Constant)
                and isinstance(left.value, int) and isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, int)):
            lhs = _number(float(left.value))
        else:
            lhs = _expr(left)
        return f"({lhs} {_PY_OPS[type(node.op)]} {_expr(node.right)})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
        return f"{_FUNC.get(node.func.id, node.func.id)}({_expr(node.args[0])})"
    raise QnbError(f"parameter expression element '{ast.unparse(node)}' cannot be written as OpenQASM 3")


def _param(p) -> str:
    if isinstance(p, ParamExpr):
        return _expr(ast.parse(p.expr, mode="eval").body)
    return _number(p)


def _qasm_name(name: str) -> str:
    return "U" if name == "u" else name


def to_qasm3(circuit: Circuit) -> str:
    used = []
    for op in circuit.operations:
        if op.is_gate and op.name not in GATES:
            raise QnbError(f"operation '{op.name}' is not an IR library gate and cannot be exported",
                           operation=op.name)
        if op.is_gate and op.name not in STDGATES and op.name in QNB_GATE_DEFS and op.name not in used:
            used.append(op.name)
    reserved = set(RESERVED) | set(STDGATES) | set(QNB_GATE_DEFS) | set(circuit.parameters)
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";']
    lines += [QNB_GATE_DEFS[name] for name in QNB_GATE_DEFS if name in used]
    lines += [f"input float[64] {p};" for p in circuit.parameters]
    qref = _declare(circuit.qubit_labels, circuit.num_qubits, "q", "qubit", reserved, lines, physical=True)
    reserved |= {r.split("[")[0] for r in qref}
    cref = _declare(circuit.clbit_labels, circuit.num_clbits, "c", "bit", reserved, lines, physical=False)
    for op in circuit.operations:
        lines.append(_statement(op, qref, cref))
    return "\n".join(lines) + "\n"


def _free(name: str, reserved: set[str]) -> str:
    while name in reserved:
        name += "_"
    return name


def _declare(labels, n: int, default: str, keyword: str, reserved: set[str], lines: list[str],
             physical: bool) -> list[str]:
    """Declare registers; return the operand text of every index."""
    if n == 0:
        return []
    if physical and physical_labels(labels):
        return list(labels)
    groups = group_registers(labels, reserved)
    if groups is None:
        name = _free(default, reserved)
        groups = [(name, n)]
    refs: list[str] = []
    for name, size in groups:
        if size is None:
            lines.append(f"{keyword} {name};")
            refs.append(name)
        else:
            lines.append(f"{keyword}[{size}] {name};")
            refs.extend(f"{name}[{i}]" for i in range(size))
    return refs


def _statement(op: Operation, qref: list[str], cref: list[str]) -> str:
    qs = ", ".join(qref[q] for q in op.qubits)
    if op.name == "measure":
        return f"{cref[op.clbits[0]]} = measure {qs};"
    if op.name == "reset":
        return f"reset {qs};"
    if op.name == "barrier":
        return f"barrier {qs};"
    head = _qasm_name(op.name)
    if op.params:
        head += "(" + ", ".join(_param(p) for p in op.params) + ")"
    if op.ctrl_qubits:
        head = ("ctrl @ " if op.ctrl_qubits == 1 else f"ctrl({op.ctrl_qubits}) @ ") + head
    return f"{head} {qs};"
