"""qiskit ``QuantumCircuit`` -> IR (FR-003).

Standard gates map by name (only when the instruction *is* qiskit's class for that name, so a custom
gate that happens to be called ``rzz`` is not trusted); controlled standard gates (``mcx``, ``cs``,
open controls) become a base gate with controls, open controls X-conjugated; anything else is
replaced by its ``definition``, recursively, until only known gates remain. Classical control
flow and timing have no static-circuit meaning and raise :class:`UnsupportedConstructError`.
Parameters become :class:`ParamExpr` over sanitised names (``θ[0]`` -> ``θ_0``); numeric ones must be
finite and within ``parse.max_magnitude``.

The bounds of :mod:`.limits` hold here too (qubits, clbits, operations, definition expansions,
the deadline): nested definitions can expand exponentially. An error raised while converting
top-level instruction ``i`` carries ``instruction=i`` so the OpenQASM 2 front end can locate it.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import QasmError, UnsupportedConstructError
from .builder import CircuitBuilder
from .expr import ExprError, LimitError, bounded, canonical_param_text, to_param
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
        from .limits import current
        self.source_format = source_format
        self.budget = current()
        self.builder = CircuitBuilder(self.budget.limits)
        self.expansions = 0
        #: ops held in definition expansions not yet in the circuit (for the operation bound)
        self.pending = 0
        self.expanded: dict = {}
        self.expanded_ops = 0
        #: index of the top-level instruction being converted
        self.top = None
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
                return self.number(value.real)
            expr = p.subs({q: self.temp[q] for q in p.parameters if q in self.temp})
            try:
                return to_param(canonical_param_text(str(expr), self.temp_names))
            except ExprError as e:
                raise self.error(f"parameter expression {p}: {e.message}", "parameter expression") from None
        if isinstance(p, complex):
            if abs(p.imag) > 1e-12:
                raise self.error(f"complex gate parameter {p}", "complex parameter")
            return self.number(p.real)
        try:
            return self.number(float(p))
        except (TypeError, ValueError, OverflowError):
            raise self.error(f"gate parameter {p!r} is not a number", "gate parameter") from None

    def number(self, v: float) -> float:
        try:
            return float(bounded(float(v)))
        except LimitError as e:
            raise QasmError(f"gate parameter {v!r} is not a finite number within the magnitude bound",
                            construct="gate parameter", limit=e.limit, source_format=self.source_format) from None

    def convert(self, instructions, find_q, find_c, depth: int, out: list | None = None) -> None:
        """Append the IR of ``instructions`` to ``out`` (the circuit itself when None)."""
        if depth > MAX_DEFINITION_DEPTH:
            raise self.error("gate definitions nest too deeply (recursive definition?)", "gate definition")
        from qiskit.circuit import ControlFlowOp, ControlledGate
        put = self.builder.emit_final if out is None else self._local(out)
        tick = self.budget.tick
        for i, inst in enumerate(instructions):
            if depth == 0:
                self.top = i
            tick()
            op = inst.operation
            qubits = tuple(find_q(q) for q in inst.qubits)
            clbits = tuple(find_c(c) for c in inst.clbits)
            name = op.name
            if getattr(op, "condition", None) is not None or isinstance(op, ControlFlowOp):
                raise self.error(f"'{name}' is classical control flow, which has no static-circuit form",
                                 "classical control flow")
            if name == "measure":
                put(Operation("measure", qubits, clbits))
            elif name == "reset":
                put(Operation("reset", qubits))
            elif name == "barrier":
                put(Operation("barrier", qubits))
            elif name == "delay":
                raise self.error("'delay' is a timing instruction", "delay")
            elif name == "global_phase":
                continue
            elif _is_standard(op):
                put(Operation(name, qubits, (), tuple(self.param(p) for p in op.params)))
            elif isinstance(op, ControlledGate) and _is_standard(op.base_gate) and not clbits:
                for o in self._controlled(op, qubits):
                    put(o)
            elif getattr(op, "definition", None) is not None:
                local = self._expand(op, depth)
                if qubits == tuple(range(len(qubits))) and clbits == tuple(range(len(clbits))):
                    for o in local:
                        put(o)
                else:
                    for o in local:
                        put(Operation(o.name, tuple(qubits[q] for q in o.qubits), tuple(clbits[c] for c in o.clbits),
                                      o.params, o.ctrl_qubits))
            else:
                raise self.error(f"instruction '{name}' has no definition (opaque) and is not a known gate",
                                 "opaque gate")

    def _local(self, out: list):
        """An appender for a definition's local op list, counted against the operation bound."""
        b = self.builder

        def put(op) -> None:
            out.append(op)
            self.pending += 1
            if self.pending + len(b.ops) > b.max_ops:
                raise b.ops_error()
        return put

    def _expand(self, op, depth: int) -> tuple[Operation, ...]:
        """``op``'s definition in its own qubit/clbit numbering (0..n-1), memoised for qiskit's
        OpenQASM 2 gates (a shared body plus numeric parameters), so nested definitions cost linear work."""
        self.expansions += 1
        if self.expansions > self.builder.max_ops:
            raise LimitError(f"expanding gate definitions takes more than {self.builder.max_ops} steps",
                             "parse.max_operations", construct="unrolling limit")
        key = None
        body = getattr(op, "_bytecode", None)
        if body is not None and type(op).__name__ == "_DefinedGate" and all(
                type(p) in (int, float) for p in op.params):
            # instances of one definition share the bytecode *elements* (not the tuple holding them)
            key = (op.name, op.num_qubits, tuple(op.params), len(body), id(body[0]) if body else None)
            hit = self.expanded.get(key)
            if hit is not None:
                return hit[0]
        d = op.definition
        qmap = {q: i for i, q in enumerate(d.qubits)}
        cmap = {c: i for i, c in enumerate(d.clbits)}
        ops: list[Operation] = []
        try:
            self.convert(d.data, qmap.__getitem__, cmap.__getitem__, depth + 1, ops)
        finally:
            self.pending -= len(ops)
        local = tuple(ops)
        if key is not None:
            self.expanded_ops += len(local)
            if len(self.expanded) >= 4096 or self.expanded_ops > self.builder.max_ops:
                self.expanded.clear()
                self.expanded_ops = len(local)
            self.expanded[key] = (local, body)  # holding ``body`` keeps its id() unique
        return local

    def _controlled(self, op, qubits) -> list[Operation]:
        n = op.num_ctrl_qubits
        controls, targets = qubits[:n], qubits[n:]
        base = op.base_gate
        body = [Operation(base.name, targets, (), tuple(self.param(p) for p in base.params))]
        flips = [Operation("x", (controls[i],)) for i in range(n) if not (op.ctrl_state >> i) & 1]
        return flips + control(body, controls) + flips


def from_qiskit(qc, name: str | None = None, *, source_format: str = "qiskit", source: str | None = None) -> Circuit:
    """Convert a ``QuantumCircuit`` to the IR (labels from its registers, parameters sanitised)."""
    conv = _Converter(qc, source_format)
    b = conv.builder
    try:
        b.check_qubits(qc.num_qubits, "the circuit")
        b.check_clbits(qc.num_clbits, "the circuit")
        b.add_qubits([_label(qc, q, i, "q") for i, q in enumerate(qc.qubits)])
        b.add_clbits([_label(qc, c, i, "c") for i, c in enumerate(qc.clbits)])
        qindex = {q: i for i, q in enumerate(qc.qubits)}
        cindex = {c: i for i, c in enumerate(qc.clbits)}
        conv.convert(qc.data, qindex.__getitem__, cindex.__getitem__, 0)
    except LimitError as e:
        err = QasmError(e.message, construct=e.construct, limit=e.limit, source_format=source_format)
        if conv.top is not None:
            err.fields["instruction"] = conv.top
        raise err from None
    except QasmError as e:
        if conv.top is not None and e.line is None:
            e.fields["instruction"] = conv.top
        raise
    return b.build(name or qc.name or "circuit", source_format, source)


def _label(qc, bit, i: int, default: str) -> str:
    loc = qc.find_bit(bit)
    if loc.registers:
        reg, j = loc.registers[0]
        return f"{reg.name}[{j}]"
    return f"{default}[{i}]"
