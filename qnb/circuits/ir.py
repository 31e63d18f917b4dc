"""The one internal circuit representation every layer of qnb works on (FR-003).

Ingestion (OpenQASM 2, OpenQASM 3, qiskit) produces a :class:`Circuit`; the planner, the
executor and the store only ever see this type. It is immutable (frozen dataclasses holding
tuples) so plans and fingerprints computed from it cannot drift.

Conventions
-----------
* Qubits and clbits are dense integer indices ``0..n-1``; ``qubit_labels`` / ``clbit_labels``
  keep the source names (``q[0]``, ``$3``, ``c[1]``) for display only. They never enter the
  fingerprint.
* Gate names are lower-case canonical names from :data:`qnb.circuits.gates.GATES`
  (``h``, ``cx``, ``rz``, ``ccx`` ...). Custom gates and subroutines are inlined during
  ingestion, so only library gates, ``measure``, ``reset`` and ``barrier`` appear.
* ``ctrl_qubits > 0`` means "this base gate with that many extra control qubits, listed first
  in ``qubits``" (OpenQASM 3 ``ctrl @`` on a gate with no named controlled form). Known
  combinations are normalised to named gates (``ctrl @ x`` -> ``cx``).
* Parameters are floats, or :class:`ParamExpr` for expressions over named circuit parameters
  (OpenQASM 3 ``input float`` or qiskit ``Parameter``). :meth:`Circuit.bind` turns them into floats.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Union

__all__ = ["Operation", "Circuit", "ParamExpr", "ParamValue", "NON_GATE_OPS", "check_runnable"]

#: Operations that are not unitary gates.
NON_GATE_OPS = frozenset({"measure", "reset", "barrier"})


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod}
_UNOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
          "sqrt": math.sqrt, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
          "asin": math.asin, "acos": math.acos, "atan": math.atan}
_CONSTS = {"pi": math.pi, "tau": math.tau, "euler": math.e, "e": math.e}


def _eval_expr(node: ast.AST, env: Mapping[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _eval_expr(node.body, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in env:
            return float(env[node.id])
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        raise KeyError(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_eval_expr(node.left, env), _eval_expr(node.right, env))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
        return _UNOPS[type(node.op)](_eval_expr(node.operand, env))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS and len(node.args) == 1):
        return _FUNCS[node.func.id](_eval_expr(node.args[0], env))
    raise ValueError(f"unsupported expression element {ast.dump(node)}")


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and n.id not in _CONSTS and n.id not in _FUNCS}


@dataclass(frozen=True, slots=True)
class ParamExpr:
    """A symbolic gate parameter: a Python-syntax arithmetic expression over named parameters.

    Only numbers, names, ``+ - * / ** %``, unary minus, the constants ``pi``/``tau``/``euler``
    and the functions in ``_FUNCS`` are allowed, so evaluating one is safe.
    """

    expr: str

    def __post_init__(self) -> None:
        if not isinstance(self.expr, str) or len(self.expr) > 100_000 or sum(map(self.expr.count, "+-*/%(~")) > 10_000:
            raise ValueError("parameter expression is not text of at most 100,000 characters and 10,000 operators")
        try:
            tree = ast.parse(self.expr, mode="eval")
        except (RecursionError, MemoryError):
            raise ValueError("parameter expression nests too deeply") from None
        # validate the grammar once, with every free name set to 1.0
        _eval_expr(tree, {n: 1.0 for n in _names(tree)})

    @property
    def names(self) -> frozenset[str]:
        return frozenset(_names(ast.parse(self.expr, mode="eval")))

    def evaluate(self, values: Mapping[str, float]) -> float:
        return _eval_expr(ast.parse(self.expr, mode="eval"), values)

    def __str__(self) -> str:
        return self.expr


ParamValue = Union[float, ParamExpr]


@dataclass(frozen=True, slots=True)
class Operation:
    """One instruction: a library gate, ``measure``, ``reset`` or ``barrier``."""

    name: str
    qubits: tuple[int, ...]
    clbits: tuple[int, ...] = ()
    params: tuple[ParamValue, ...] = ()
    ctrl_qubits: int = 0

    @property
    def is_gate(self) -> bool:
        return self.name not in NON_GATE_OPS

    @property
    def is_symbolic(self) -> bool:
        return any(isinstance(p, ParamExpr) for p in self.params)

    def to_json(self) -> dict:
        d: dict = {"name": self.name, "qubits": list(self.qubits)}
        if self.clbits:
            d["clbits"] = list(self.clbits)
        if self.params:
            d["params"] = [p.expr if isinstance(p, ParamExpr) else _canon_float(p)
                           for p in self.params]
        if self.ctrl_qubits:
            d["ctrl_qubits"] = self.ctrl_qubits
        return d


def check_runnable(circuit: "Circuit", parameters: Mapping[str, float] | None = None) -> "Circuit":
    """The circuit-level checks before a circuit is run (or submitted to a mesh).

    At least one qubit; every numeric gate parameter a finite number; when ``parameters`` are given
    (they must then name exactly the circuit's parameters) they are bound and every resulting angle
    must be finite. Returns the bound circuit (or ``circuit`` when ``parameters`` is None). Raises
    :class:`~qnb.errors.QasmError` (``construct`` ``"empty circuit"`` or ``"parameter"``) or
    ``KeyError`` for unknown/missing parameter names, as :meth:`Circuit.bind` does."""
    from ..errors import QasmError
    if circuit.num_qubits < 1:
        raise QasmError("the circuit declares no qubits; there is nothing to run", construct="empty circuit")
    for i, op in enumerate(circuit.operations):
        for p in op.params:
            if not isinstance(p, ParamExpr) and not math.isfinite(p):
                raise QasmError(f"operation {i} ({op.name}) has a non-finite parameter {p!r}", construct="parameter",
                                operation=i)
    if parameters is None:
        return circuit
    return circuit.bind(parameters)


def _show(env: Mapping[str, float]) -> str:
    items = list(env.items())
    text = ", ".join(f"{k}={v!r}" for k, v in items[:5])
    return text + (", ..." if len(items) > 5 else "") if items else "no parameters"


def _canon_float(x: float) -> float:
    """Round away the last few bits so fingerprints survive harmless float noise (pi/2 vs 1.5707963267948966)."""
    r = round(float(x), 12)
    return 0.0 if r == 0 else r


@dataclass(frozen=True)
class Circuit:
    """An immutable circuit in qnb's IR. Build one with :func:`qnb.circuits.load`."""

    num_qubits: int
    num_clbits: int
    operations: tuple[Operation, ...]
    parameters: tuple[str, ...] = ()
    name: str = "circuit"
    source_format: str = "ir"
    qubit_labels: tuple[str, ...] = ()
    clbit_labels: tuple[str, ...] = ()
    #: QASM source text the circuit came from, if any (kept for the store; not fingerprinted)
    source: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.qubit_labels:
            object.__setattr__(self, "qubit_labels", tuple(f"q[{i}]" for i in range(self.num_qubits)))
        if not self.clbit_labels:
            object.__setattr__(self, "clbit_labels", tuple(f"c[{i}]" for i in range(self.num_clbits)))
        for op in self.operations:
            for q in op.qubits:
                if not 0 <= q < self.num_qubits:
                    raise ValueError(f"operation {op.name} uses qubit {q} outside 0..{self.num_qubits - 1}")
            for c in op.clbits:
                if not 0 <= c < self.num_clbits:
                    raise ValueError(f"operation {op.name} uses clbit {c} outside 0..{self.num_clbits - 1}")

    # ----------------------------------------------------------------- views
    @property
    def num_ops(self) -> int:
        """Number of operations excluding barriers (what benchmarks call 'ops')."""
        return sum(1 for op in self.operations if op.name != "barrier")

    @property
    def measurements(self) -> tuple[tuple[int, int], ...]:
        """``(qubit, clbit)`` pairs of every measurement, in program order."""
        return tuple((op.qubits[0], op.clbits[0]) for op in self.operations if op.name == "measure")

    @property
    def gate_names(self) -> frozenset[str]:
        return frozenset(op.name for op in self.operations if op.is_gate)

    @property
    def is_parameterized(self) -> bool:
        return any(op.is_symbolic for op in self.operations)

    # -------------------------------------------------------------- binding
    def bind(self, values: Mapping[str, float] | None = None, **kw: float) -> "Circuit":
        """Return a copy with every :class:`ParamExpr` evaluated.

        Unknown or missing names raise ``KeyError``; a value that is not a finite real number, or a
        gate angle that evaluates to something non-finite (``1/theta`` at 0, ``exp(1e6)``), raises
        :class:`~qnb.errors.QasmError` (``construct="parameter"``) naming the parameter or gate."""
        from ..errors import QasmError
        env = dict(values or {}, **kw)
        unknown = set(env) - set(self.parameters)
        if unknown:
            raise KeyError(f"unknown parameter(s) {sorted(unknown)}; circuit has {list(self.parameters)}")
        missing = [p for p in self.parameters if p not in env]
        if missing:
            raise KeyError(f"missing value for parameter(s) {missing}")
        for k, v in env.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise QasmError(f"parameter {k!r} must be a finite real number, got {v!r:.80}", construct="parameter",
                                parameter=k)
        env = {k: float(v) for k, v in env.items()}

        def value(i: int, op: Operation, p: ParamExpr) -> float:
            try:
                x = p.evaluate(env)
            except (ArithmeticError, ValueError) as e:
                x, why = math.nan, str(e)
            else:
                why = "not finite"
            if not math.isfinite(x):
                raise QasmError(f"operation {i} ({op.name}): parameter '{p.expr[:200]}' is {why} with "
                                f"{_show(env)}", construct="parameter", operation=i)
            return x

        ops = tuple(
            replace(op, params=tuple(value(i, op, p) if isinstance(p, ParamExpr) else p for p in op.params))
            if op.is_symbolic else op
            for i, op in enumerate(self.operations)
        )
        return replace(self, operations=ops, parameters=())

    # ------------------------------------------------------------ identity
    def canonical_json(self) -> str:
        """Canonical JSON of the semantic content: no names, labels, comments or formatting.

        Exactly ``json.dumps({"num_qubits", "num_clbits", "parameters", "ops"}, sort_keys=True,
        separators=(",", ":"))``, written piecewise (see :meth:`_canonical_chunks`)."""
        return "".join(self._canonical_chunks())

    def fingerprint(self) -> str:
        """Stable SHA-256 over :meth:`canonical_json` (GOV-4 result cache key component)."""
        h = hashlib.sha256()
        for chunk in self._canonical_chunks():
            h.update(chunk.encode())
        return h.hexdigest()

    def _canonical_chunks(self) -> Iterable[str]:
        """:meth:`canonical_json` in pieces of about 4,096 operations, so a large circuit is hashed in
        bounded memory; equal operations (a repeated statement, an unrolled loop) are encoded once."""
        dumps = json.dumps
        yield f'{{"num_clbits":{self.num_clbits:d},"num_qubits":{self.num_qubits:d},"ops":['
        by_id: dict = {}      # the same Operation object again (the ops stay alive in self.operations)
        by_value: dict = {}   # an equal one (an unrolled loop)
        ops, n = self.operations, len(self.operations)
        for start in range(0, n, 4096):
            part = []
            for op in ops[start:start + 4096]:
                text = by_id.get(id(op))
                if text is None:
                    key = (op.name, op.qubits, op.clbits, op.params, op.ctrl_qubits)
                    text = by_value.get(key)
                    if text is None:
                        text = dumps(op.to_json(), sort_keys=True, separators=(",", ":"))
                        if len(by_value) < 65536:
                            by_value[key] = text
                    if len(by_id) < 65536:
                        by_id[id(op)] = text
                part.append(text)
            yield ("," if start else "") + ",".join(part)
        yield '],"parameters":' + dumps(sorted(self.parameters), separators=(",", ":")) + "}"

    # ---------------------------------------------------------- conversions
    def to_qiskit(self):
        """An equivalent ``qiskit.QuantumCircuit`` (see :mod:`qnb.circuits.export`)."""
        from .export import to_qiskit
        return to_qiskit(self)

    def to_qasm3(self) -> str:
        """OpenQASM 3 text that :func:`qnb.circuits.load` reads back to an equal circuit."""
        from .export import to_qasm3
        return to_qasm3(self)

    def with_operations(self, ops: Iterable[Operation]) -> "Circuit":
        return replace(self, operations=tuple(ops))
