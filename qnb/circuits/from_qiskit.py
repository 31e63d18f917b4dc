"""qiskit ``QuantumCircuit`` -> IR (FR-003).

Standard gates map by name (only when the instruction *is* qiskit's class for that name, so a custom
gate that happens to be called ``rzz`` is not trusted); controlled standard gates (``mcx``, ``cs``,
open controls) become a base gate with controls, open controls X-conjugated; anything else is
replaced by its ``definition``, recursively, until only known gates remain. Classical control
flow and timing have no static-circuit meaning and raise :class:`UnsupportedConstructError`.
Parameters become :class:`ParamExpr` over sanitised names (``θ[0]`` -> ``θ_0``).
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import QasmError, UnsupportedConstructError
from .builder import CircuitBuilder
from .expr import ExprError, canonical_param_text, to_param
from .gates import GATES
from .ir import Circuit, Operation
from .modifiers import control
from .names import sanitize_identifier

__all__ = ["from_qiskit", "MAX_DEFINITION_DEPTH"]

#: Guard against self-referential definitions.
MAX_DEFINITION_DEPTH = 64


@lru_cache(maxsize=1)
def _standard() -> dict[str, type]:
    from qiskit.circuit.library import get_standard_gate_name_mapping
    return {name: type(g) for name, g in get_standard_gate_name_mapping().items()}


def _is_standard(op) -> bool:
    return op.name in GATES and _standard().get(op.name) is type(op)


class _Converter:
    def __init__(self, qc, source_format: str) -> None:
        from qiskit.circuit import Parameter
        self.source_format = source_format
        self.builder = CircuitBuilder()
        self.param_names: dict = {}
        self.temp: dict = {}
        taken: set[str] = set()
        for i, p in enumerate(qc.parameters):
            name = sanitize_identifier(p.name, taken)
            taken.add(name)
            self.param_names[p] = name
            self.temp[p] = Parameter(f"_qnb_p{i}")
        self.temp_names = {f"_qnb_p{i}": self.param_names[p] for i, p in enumerate(qc.parameters)}
        self.builder.parameters = [self.param_names[p] for p in qc.parameters]

    def error(self, message: str, construct: str, unsupported: bool = True) -> QasmError:
        cls = UnsupportedConstructError if unsupported else QasmError
        return cls(message, construct=construct, source_format=self.source_format)

    def param(self, p):
        from qiskit.circuit import ParameterExpression
        if isinstance(p, ParameterExpression):
            if not p.parameters:
                value = complex(p)
                if abs(value.imag) > 1e-12:
                    raise self.error(f"complex gate parameter {p}", "complex parameter")
                return value.real
            expr = p.subs({q: self.temp[q] for q in p.parameters if q in self.temp})
            try:
                return to_param(canonical_param_text(str(expr), self.temp_names))
            except ExprError as e:
                raise self.error(f"parameter expression {p}: {e.message}", "parameter expression") from None
        if isinstance(p, complex):
            if abs(p.imag) > 1e-12:
                raise self.error(f"complex gate parameter {p}", "complex parameter")
            return float(p.real)
        try:
            return float(p)
        except (TypeError, ValueError):
            raise self.error(f"gate parameter {p!r} is not a number", "gate parameter") from None

    def convert(self, instructions, find_q, find_c, depth: int) -> None:
        if depth > MAX_DEFINITION_DEPTH:
            raise self.error("gate definitions nest too deeply (recursive definition?)", "gate definition")
        from qiskit.circuit import ControlFlowOp, ControlledGate
        for inst in instructions:
            op = inst.operation
            qubits = tuple(find_q(q) for q in inst.qubits)
            clbits = tuple(find_c(c) for c in inst.clbits)
            name = op.name
            if getattr(op, "condition", None) is not None or isinstance(op, ControlFlowOp):
                raise self.error(f"'{name}' is classical control flow, which has no static-circuit form",
                                 "classical control flow")
            if name == "measure":
                self.builder.emit_final(Operation("measure", qubits, clbits))
            elif name == "reset":
                self.builder.emit_final(Operation("reset", qubits))
            elif name == "barrier":
                self.builder.emit_final(Operation("barrier", qubits))
            elif name == "delay":
                raise self.error("'delay' is a timing instruction", "delay")
            elif name == "global_phase":
                continue
            elif _is_standard(op):
                self.builder.emit_final(Operation(name, qubits, (), tuple(self.param(p) for p in op.params)))
            elif isinstance(op, ControlledGate) and _is_standard(op.base_gate) and not clbits:
                self._controlled(op, qubits)
            elif getattr(op, "definition", None) is not None:
                d = op.definition
                qmap = {q: qubits[i] for i, q in enumerate(d.qubits)}
                cmap = {c: clbits[i] for i, c in enumerate(d.clbits)}
                self.convert(d.data, qmap.__getitem__, cmap.__getitem__, depth + 1)
            else:
                raise self.error(f"instruction '{name}' has no definition (opaque) and is not a known gate",
                                 "opaque gate")

    def _controlled(self, op, qubits) -> None:
        n = op.num_ctrl_qubits
        controls, targets = qubits[:n], qubits[n:]
        base = op.base_gate
        body = [Operation(base.name, targets, (), tuple(self.param(p) for p in base.params))]
        flips = [Operation("x", (controls[i],)) for i in range(n) if not (op.ctrl_state >> i) & 1]
        for o in flips + control(body, controls) + flips:
            self.builder.emit_final(o)


def from_qiskit(qc, name: str | None = None, *, source_format: str = "qiskit", source: str | None = None) -> Circuit:
    """Convert a ``QuantumCircuit`` to the IR (labels from its registers, parameters sanitised)."""
    conv = _Converter(qc, source_format)
    b = conv.builder
    b.add_qubits([_label(qc, q, i, "q") for i, q in enumerate(qc.qubits)])
    b.add_clbits([_label(qc, c, i, "c") for i, c in enumerate(qc.clbits)])
    qindex = {q: i for i, q in enumerate(qc.qubits)}
    cindex = {c: i for i, c in enumerate(qc.clbits)}
    conv.convert(qc.data, qindex.__getitem__, cindex.__getitem__, 0)
    return b.build(name or qc.name or "circuit", source_format, source)


def _label(qc, bit, i: int, default: str) -> str:
    loc = qc.find_bit(bit)
    if loc.registers:
        reg, j = loc.registers[0]
        return f"{reg.name}[{j}]"
    return f"{default}[{i}]"
