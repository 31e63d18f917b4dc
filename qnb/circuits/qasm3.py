"""OpenQASM 3 -> IR: lower the reference AST (``openqasm3``) with our own code (FR-003).

The program is *executed at compile time*: constants and classical variables are evaluated,
``for`` loops are unrolled, ``if``/``switch`` on compile-time values pick a branch, ``gate`` and
``def`` bodies are inlined, gate modifiers are applied exactly (:mod:`.modifiers`). What is left is
a straight-line list of library gates, measurements, resets and barriers. ``input float``/``input
angle`` values stay symbolic and become circuit parameters.

Anything whose effect depends on run-time data (branching on measurement results, ``while``),
timing (``delay``, ``box``, durations, ``stretch``) or pulse-level definitions (``defcal``, ``cal``)
raises :class:`~qnb.errors.UnsupportedConstructError` naming the construct with its line/column;
semantic mistakes (undeclared names, bad indices, wrong arity) raise :class:`~qnb.errors.QasmError`.
Quantum operands and gate calls live in :mod:`.qasm3_quantum`.

Executing a program at compile time is where a hostile one does its damage, so every unit of
work is bounded while it happens (:mod:`.limits`): register sizes before labels exist, each
loop's trip count before it starts, every literal and constant result (``parse.max_magnitude``),
the live operation count across inlined gate bodies, the total of loop iterations plus gate and
subroutine expansions (``parse.max_operations``), and the deadline at every statement.
"""

from __future__ import annotations

import keyword
import unicodedata
from pathlib import Path

from openqasm3 import ast as A

from ..errors import QasmError, UnsupportedConstructError
from .builder import CircuitBuilder
from .expr import (CONSTANTS, PARAM_RESERVED, ExprError, LimitError, Sym, Value, binary, bounded, call_function,
                   sym_name, unary)
from .includes import read_include, resolve_include
from .ir import Circuit
from .library import LIBRARIES
from .limits import ParseLimits, activate, current, deep_recursion, prescan
from .qasm3_parse import line_starts, parse_qasm3
from .qasm3_quantum import QuantumLowering
from .qasm3_scope import (BITS, CONST, DEF, GATE, INPUT, QUBITS, VAR, Bits, GateDef, Scope, SubroutineDef, Symbol,
                          Unknown)

__all__ = ["loads_qasm3", "lower_program"]

#: Default bound on one loop's trip count (``parse.max_loop_iterations``); the active limits decide.
MAX_LOOP_ITERATIONS = ParseLimits().max_loop_iterations


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _End(Exception):
    pass


class _Return(Exception):
    def __init__(self, value):
        super().__init__()
        self.value = value


class _Frame:
    """One active subroutine call."""

    def __init__(self, name: str, target: tuple[int, ...] | None, start: int) -> None:
        self.name, self.target, self.start = name, target, start


class _RuntimeValue(ExprError):
    """An expression needs a value only known at run time (a measurement result)."""

    def __init__(self, message: str, construct: str = "classical control on measurement results") -> None:
        super().__init__(message, construct=construct, unsupported=True)


_TIMING_TYPES = (A.DurationType, A.StretchType)


class Lowering(QuantumLowering):
    """Walks one program (and the files it includes) and fills a :class:`CircuitBuilder`."""

    def __init__(self, text: str, file: str | None, base_dir: Path | None) -> None:
        self.budget = current()
        self.limits = self.budget.limits
        self.builder = CircuitBuilder(self.limits)
        #: operations held in gate-body sinks (not yet in the builder), for the live operation bound
        self.pending_ops = 0
        #: loop iterations + gate and subroutine expansions so far (bounded by parse.max_operations)
        self.work = 0
        #: memoised gate-body expansions (see QuantumLowering.inline_gate)
        self.inline_cache: dict = {}
        self.inline_cached_ops = 0
        self.global_scope = Scope()
        self.scope = self.global_scope
        self.library: dict = {}
        self.library_source: dict[str, str] = {}
        self.physical: dict[str, int] = {}
        self.frames: list[_Frame] = []
        self.gate_stack: list[str] = []
        self.sinks: list[list] = []
        self.loop_iterations = 0
        self.dropped_global_phase = False
        self.base_dir = base_dir
        #: the statement being executed (located errors for nodes without a span)
        self.current = None
        self.include_dirs = self.limits.include_dirs(base_dir)
        self.included: set[str] = set()
        self._set_file(text, file)

    def _set_file(self, text: str, file: str | None) -> None:
        self.text, self.file, self.starts = text, file, line_starts(text)

    # ------------------------------------------------------------------ errors
    def loc(self, node) -> tuple[int | None, int | None]:
        span = getattr(node, "span", None)
        if span is None:  # a node the lowering made itself: the statement being executed
            span = getattr(self.current, "span", None)
            node = self.current
        if span is None:
            return None, None
        line, col = span.start_line, span.start_column
        # openqasm3 gives identifier tokens their offset in the whole text instead of a column
        if isinstance(node, A.Identifier) and 0 < line <= len(self.starts):
            rel = col - self.starts[line - 1]
            if rel >= 0:
                col = rel
        return line, col + 1

    def err(self, node, message: str, construct: str, unsupported: bool = False, limit: str | None = None
            ) -> QasmError:
        line, col = self.loc(node)
        fields = {"file": self.file} if self.file else {}
        if limit:
            fields["limit"] = limit
        cls = UnsupportedConstructError if unsupported else QasmError
        return cls(message, line=line, column=col, construct=construct, **fields)

    def expr_err(self, node, e: ExprError) -> QasmError:
        return self.err(node, e.message, e.construct, e.unsupported, e.limit)

    def spend(self, node) -> None:
        """One unit of unrolling work (a loop iteration, a gate or subroutine expansion), and the deadline."""
        self.work += 1
        if self.work > self.limits.max_operations:
            raise self.err(node, f"unrolling takes more than {self.limits.max_operations} steps (loop iterations "
                                 "and gate/subroutine expansions)", "unrolling limit", limit="parse.max_operations")
        try:
            self.budget.tick()
        except LimitError as e:
            raise self.expr_err(node, e) from None

    # ------------------------------------------------------------------- entry
    def run(self, program) -> None:
        self._prescan_physical(program)
        try:
            self.block(program.statements)
        except _End:
            pass

    def _prescan_physical(self, program) -> None:
        """Physical qubits ``$n`` get dense indices in increasing ``n`` (stable under reordering)."""
        found: dict[str, object] = {}
        stack = [program]
        tick = self.budget.tick
        while stack:
            node = stack.pop()
            try:
                tick()
            except LimitError as e:
                first = program.statements[0] if program.statements else node
                raise self.expr_err(node if getattr(node, "span", None) else first, e) from None
            if isinstance(node, A.Identifier):
                if node.name.startswith("$"):
                    found.setdefault(node.name, node)
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, A.QASMNode):
                stack.extend(v for k, v in vars(node).items() if k != "span" and isinstance(v, (list, A.QASMNode)))
        labels = sorted(found, key=lambda s: int(s[1:]) if s[1:].isdigit() else -1)
        if len(labels) > self.limits.max_qubits:
            self._check_count(found[labels[self.limits.max_qubits]], self.builder.check_qubits, len(labels),
                              f"using {len(labels)} physical qubits")
        for label in labels:
            (idx,) = self.builder.add_qubits([label])
            self.physical[label] = idx

    def block(self, statements) -> None:
        for st in statements:
            self.statement(st)

    def statement(self, node) -> None:
        try:
            self.budget.tick()
        except LimitError as e:
            raise self.expr_err(node, e) from None
        handler = getattr(self, "s_" + type(node).__name__, None)
        if handler is None:
            raise self.err(node, f"statement '{type(node).__name__}' is not supported", type(node).__name__,
                           unsupported=True)
        outer, self.current = self.current, node
        try:
            handler(node)
        finally:
            self.current = outer

    def in_block(self, statements, **names: Symbol) -> None:
        outer = self.scope
        self.scope = Scope(parent=outer)
        self.scope.names.update(names)
        try:
            self.block(statements)
        finally:
            self.scope = outer

    def declare(self, ident, sym: Symbol) -> None:
        name = ident.name
        if self.scope.local(name) is not None:
            raise self.err(ident, f"'{name}' is already declared in this scope", "redeclaration")
        if self.scope.is_global() and name in self.library and sym.kind != GATE:
            raise self.err(ident, f"'{name}' is already a gate (from {self.library_source[name]})", "redeclaration")
        if name in CONSTANTS:
            raise self.err(ident, f"'{name}' is a built-in constant", "redeclaration")
        self.scope.names[name] = sym

    def lookup(self, ident) -> Symbol:
        name = ident.name
        sym = self.scope.lookup(name)
        if sym is None:
            raise self.err(ident, f"'{name}' is not declared", "undeclared identifier")
        if sym.kind == "hidden":
            where = "gate body" if self.gate_stack else "subroutine body"
            raise self.err(ident, f"'{name}' ({sym.value}) declared outside is not visible inside a {where}; "
                                  "pass it as an argument", "scope")
        return sym

    # -------------------------------------------------------------- expressions
    def value(self, node) -> Value:
        """Evaluate an expression now; ``Sym`` when it depends on an input parameter."""
        try:
            return self._value(node)
        except QasmError:
            raise
        except ExprError as e:
            raise self.expr_err(node, e) from None

    def _value(self, node) -> Value:
        if isinstance(node, (A.IntegerLiteral, A.FloatLiteral)):
            return bounded(node.value)
        if isinstance(node, A.BooleanLiteral):
            return bool(node.value)
        if isinstance(node, A.BitstringLiteral):
            return bounded(node.value)
        if isinstance(node, A.Identifier):
            return self._name_value(node)
        if isinstance(node, A.BinaryExpression):
            return binary(node.op.name, self.value(node.lhs), self.value(node.rhs))
        if isinstance(node, A.UnaryExpression):
            return unary(node.op.name, self.value(node.expression))
        if isinstance(node, A.FunctionCall):
            return self._call_value(node)
        if isinstance(node, A.Cast):
            return self.cast(node.type, self.value(node.argument), node)
        if isinstance(node, A.SizeOf):
            return self._sizeof(node)
        if isinstance(node, A.IndexExpression):
            base = node.collection
            if isinstance(base, A.Identifier):
                sym = self.lookup(base)
                if sym.kind == BITS:
                    raise _RuntimeValue(f"bit register '{base.name}' holds a measurement result that is only known "
                                        "at run time")
            raise ExprError("indexing a classical value is not supported", construct="classical indexing",
                            unsupported=True)
        if isinstance(node, A.ImaginaryLiteral):
            raise ExprError("complex numbers are not supported", construct="complex number", unsupported=True)
        if isinstance(node, (A.DurationLiteral, A.DurationOf)):
            raise ExprError("durations are timing constructs", construct="duration", unsupported=True)
        if isinstance(node, A.QuantumMeasurement):
            raise ExprError("a measurement cannot be used as a value here", construct="measure expression")
        raise ExprError(f"expression '{type(node).__name__}' is not supported", construct=type(node).__name__,
                        unsupported=True)

    def _name_value(self, node) -> Value:
        name = node.name
        if name.startswith("$"):
            raise ExprError(f"physical qubit {name} used as a value", construct="expression")
        sym = self.scope.lookup(name)
        if sym is None:
            if name in CONSTANTS:
                return CONSTANTS[name]
            raise self.err(node, f"'{name}' is not declared", "undeclared identifier")
        sym = self.lookup(node)
        if sym.kind in (CONST, VAR, INPUT):
            v = sym.value
            if isinstance(v, Unknown):
                where = f" (assigned at line {v.line})" if v.line else ""
                raise _RuntimeValue(f"'{name}' is only known at run time{where}: {v.reason}")
            if isinstance(v, Bits):
                raise _RuntimeValue(f"'{name}' holds a measurement result that is only known at run time")
            return v
        if sym.kind == BITS:
            raise _RuntimeValue(f"bit register '{name}' holds a measurement result that is only known at run time")
        raise ExprError(f"'{name}' is a {sym.kind} and has no classical value", construct="expression")

    def _call_value(self, node) -> Value:
        name = node.name.name
        sym = self.scope.lookup(name)
        if sym is not None and sym.kind == DEF:
            result = self.call_subroutine(sym.value, node.arguments, node, target=None)
            if isinstance(result, Bits):
                raise _RuntimeValue(f"subroutine '{name}' returns a measurement result, only known at run time")
            if result is None:
                raise ExprError(f"subroutine '{name}' returns no value", construct="subroutine call")
            return result
        if name == "sizeof":
            return self._sizeof(A.SizeOf(node.arguments[0]))
        return call_function(name, [self.value(a) for a in node.arguments])

    def _sizeof(self, node) -> int:
        target = node.target
        if isinstance(target, A.Identifier):
            sym = self.lookup(target)
            if sym.kind in (QUBITS, BITS):
                return len(sym.value[0])
        raise ExprError("sizeof() needs a qubit or bit register", construct="sizeof")

    def cast(self, type_node, v: Value, node) -> Value:
        if isinstance(v, (Unknown, Bits)):
            return v
        if isinstance(type_node, (A.FloatType, A.AngleType)):
            return v if isinstance(v, Sym) else float(v)
        if isinstance(v, Sym):
            raise ExprError("an input parameter can only be used as float or angle", construct="cast",
                            unsupported=True)
        if isinstance(type_node, A.IntType):
            return int(v)
        if isinstance(type_node, A.UintType):
            if v < 0:
                raise ExprError(f"negative value {v} for an unsigned integer", construct="uint")
            return int(v)
        if isinstance(type_node, A.BoolType):
            return bool(v)
        if isinstance(type_node, A.BitType):
            return int(v)
        if isinstance(type_node, A.ComplexType):
            raise ExprError("complex numbers are not supported", construct="complex number", unsupported=True)
        if isinstance(type_node, _TIMING_TYPES):
            raise ExprError("durations are timing constructs", construct="duration", unsupported=True)
        raise ExprError(f"type '{type(type_node).__name__}' is not supported", construct="type", unsupported=True)

    def static_int(self, node, what: str) -> int:
        v = self.value(node)
        if isinstance(v, bool) or isinstance(v, Sym) or not float(v).is_integer():
            raise self.err(node, f"{what} must be a compile-time integer, got {v!r}", what)
        return int(v)

    # ------------------------------------------------------------- declarations
    def s_Include(self, node) -> None:
        fname = node.filename
        if fname in LIBRARIES:
            for name, gate in LIBRARIES[fname].items():
                self.library.setdefault(name, gate)
                self.library_source.setdefault(name, fname)
            return
        try:
            path = resolve_include(fname, self.include_dirs)
            key = str(path)
            if key in self.included:
                return
            self.included.add(key)
            text = read_include(path, fname, self.budget)
        except ExprError as e:
            raise self.expr_err(node, e) from None
        _, depth = prescan(text, self.limits, 3, file=fname)
        with deep_recursion(depth):
            program = parse_qasm3(text, file=fname, quote=False)
        saved = (self.text, self.file, self.starts)
        self._set_file(text, fname)
        try:
            self.block(program.statements)
        finally:
            self.text, self.file, self.starts = saved

    def s_QubitDeclaration(self, node) -> None:
        name = node.qubit.name
        if node.size is None:
            labels, register = [name], False
        else:
            n = self.static_int(node.size, "register size")
            if n < 1:
                raise self.err(node, f"qubit register '{name}' must have at least one qubit", "register size")
            self._check_count(node, self.builder.check_qubits, n, f"qubit register '{name}'")
            labels, register = [f"{name}[{i}]" for i in range(n)], True
        if not register:
            self._check_count(node, self.builder.check_qubits, 1, f"qubit '{name}'")
        idx = self.builder.add_qubits(labels)
        self.declare(node.qubit, Symbol(QUBITS, (tuple(idx), register), node))

    def _declare_bits(self, ident, size_node, node) -> tuple[int, ...]:
        name = ident.name
        hidden = not self.scope.is_global()
        if size_node is None:
            labels, register = [name], False
        else:
            n = self.static_int(size_node, "register size")
            if n < 1:
                raise self.err(node, f"bit register '{name}' must have at least one bit", "register size")
            self._check_count(node, self.builder.check_clbits, n, f"bit register '{name}'")
            labels, register = [f"{name}[{i}]" for i in range(n)], True
        if not register:
            self._check_count(node, self.builder.check_clbits, 1, f"bit '{name}'")
        idx = tuple(self.builder.add_clbits(labels, hidden=hidden))
        self.declare(ident, Symbol(BITS, (idx, register), node))
        return idx

    def _check_count(self, node, check, n: int, what: str) -> None:
        try:
            check(n, what)
        except LimitError as e:
            raise self.expr_err(node, e) from None

    def s_ClassicalDeclaration(self, node) -> None:
        t, init = node.type, node.init_expression
        if isinstance(t, A.BitType):
            idx = self._declare_bits(node.identifier, t.size, node)
            if init is None:
                return
            if isinstance(init, A.QuantumMeasurement):
                self.measure(init.qubit, idx, node)
            elif isinstance(init, A.FunctionCall) and self._is_subroutine(init.name):
                self.call_into_bits(init, idx, node)
            elif isinstance(init, (A.BitstringLiteral, A.IntegerLiteral, A.BooleanLiteral)) and not init.value:
                pass  # clbits start at 0
            else:
                raise self.err(init, "bits can only be initialised by a measurement (or zero)",
                               "classical bit initialisation", unsupported=True)
            return
        self._check_classical_type(t, node)
        if init is None:
            v: object = Unknown("declared without a value", self.loc(node)[0])
        else:
            v = self._maybe_runtime(init)
            v = self._cast_at(t, v, init)
        self.declare(node.identifier, Symbol(VAR, v, node))

    def _check_classical_type(self, t, node) -> None:
        if isinstance(t, _TIMING_TYPES):
            raise self.err(node, f"'{'duration' if isinstance(t, A.DurationType) else 'stretch'}' variables are "
                                 "timing constructs", "duration/stretch", unsupported=True)
        if isinstance(t, (A.ArrayType, A.ArrayReferenceType)):
            raise self.err(node, "arrays are not supported", "array", unsupported=True)
        if isinstance(t, A.ComplexType):
            raise self.err(node, "complex numbers are not supported", "complex number", unsupported=True)

    def _cast_at(self, t, v, node):
        try:
            return self.cast(t, v, node)
        except ExprError as e:
            raise self.expr_err(node, e) from None

    def _maybe_runtime(self, expr):
        """Evaluate ``expr``; a value that depends on measurements becomes ``Unknown`` (error only if used)."""
        try:
            return self.value(expr)
        except UnsupportedConstructError as e:
            if e.construct == "classical control on measurement results":
                return Unknown(e.message, self.loc(expr)[0])
            raise

    def s_ConstantDeclaration(self, node) -> None:
        self._check_classical_type(node.type, node)
        v = self.value(node.init_expression)
        if isinstance(v, Sym):
            raise self.err(node.init_expression, "a const must be a compile-time value; it uses an input "
                                                 "parameter", "const initialiser")
        self.declare(node.identifier, Symbol(CONST, self._cast_at(node.type, v, node), node))

    def s_IODeclaration(self, node) -> None:
        name, t = node.identifier.name, node.type
        if node.io_identifier == A.IOKeyword.output:
            if isinstance(t, A.BitType):
                self._declare_bits(node.identifier, t.size, node)
            else:
                self._check_classical_type(t, node)
                self.declare(node.identifier, Symbol(VAR, Unknown("output variable"), node))
            return
        if not isinstance(t, (A.FloatType, A.AngleType)):
            raise self.err(node, f"input '{name}' has type {type(t).__name__.replace('Type', '').lower()}: only "
                                 "float and angle inputs can become circuit parameters", "input of non-real type",
                           unsupported=True)
        if (not name.isidentifier() or name in PARAM_RESERVED or unicodedata.normalize("NFKC", name) != name
                or keyword.iskeyword(name)):
            raise self.err(node.identifier, f"input name '{name}' cannot be a circuit parameter name (reserved in "
                                            "parameter expressions); rename it", "input name")
        self.builder.parameters.append(name)
        self.declare(node.identifier, Symbol(INPUT, sym_name(name), node))

    def s_AliasStatement(self, node) -> None:
        try:
            qubits = self.resolve(node.value, QUBITS)
            sym = Symbol(QUBITS, (qubits[0], True), node)
        except QasmError as first:
            try:
                bits = self.resolve(node.value, BITS)
            except QasmError:
                raise first from None
            sym = Symbol(BITS, (bits[0], True), node)
        self.declare(node.target, sym)

    def s_QuantumGateDefinition(self, node) -> None:
        name = node.name.name
        if name in self.library or name in ("U", "gphase"):
            source = self.library_source.get(name, "the language")
            raise self.err(node.name, f"gate '{name}' is already defined (by {source})", "redefinition")
        gdef = GateDef(name, [p.name for p in node.arguments], [q.name for q in node.qubits], node.body, node)
        if len(set(gdef.qubits)) != len(gdef.qubits):
            raise self.err(node, f"gate '{name}' lists a qubit argument twice", "gate definition")
        self.declare(node.name, Symbol(GATE, gdef, node))

    def s_SubroutineDefinition(self, node) -> None:
        self.declare(node.name, Symbol(DEF, SubroutineDef(node.name.name, node.arguments, node.body, node), node))

    # ----------------------------------------------------------- classical flow
    def s_ClassicalAssignment(self, node) -> None:
        lv = node.lvalue
        ident = lv if isinstance(lv, A.Identifier) else lv.name
        sym = self.lookup(ident)
        op = node.op.name
        if sym.kind == BITS:
            rv = node.rvalue
            if op == "=" and isinstance(rv, A.FunctionCall) and self._is_subroutine(rv.name):
                bits = self.resolve(lv, BITS)[0]
                self.call_into_bits(rv, bits, node)
                return
            if op == "=" and isinstance(rv, A.QuantumMeasurement):
                self.measure(rv.qubit, self.resolve(lv, BITS)[0], node)
                return
            raise self.err(node, "assigning computed values to classical bits is not supported (only measurement "
                                 "results)", "classical bit assignment", unsupported=True)
        if sym.kind != VAR:
            raise self.err(ident, f"cannot assign to '{ident.name}' ({sym.kind})", "assignment")
        if not isinstance(lv, A.Identifier):
            raise self.err(lv, "assigning to part of a classical variable is not supported", "indexed assignment",
                           unsupported=True)
        new = self._maybe_runtime(node.rvalue)
        if op != "=":
            old = sym.value
            if isinstance(old, Unknown) or isinstance(new, Unknown):
                new = old if isinstance(old, Unknown) else new
            else:
                try:
                    new = binary(op[:-1], old, new)
                except ExprError as e:
                    raise self.expr_err(node, e) from None
        var_type = getattr(sym.node, "type", None)
        if var_type is not None and not isinstance(new, Unknown):
            new = self._cast_at(var_type, new, node)
        sym.value = new

    def _condition(self, expr, what: str) -> bool:
        try:
            v = self.value(expr)
        except UnsupportedConstructError as e:
            if e.construct == "classical control on measurement results":
                raise self.err(expr, f"{what} on a measurement result (classical feed-forward) cannot be lowered to "
                                     f"a static circuit: {e.message}", f"{what} on measurement result",
                               unsupported=True) from None
            if e.construct == "runtime classical computation":
                v = Sym(None)  # a comparison on an input parameter: reported below
            else:
                raise
        if isinstance(v, Sym):
            raise self.err(expr, f"{what} on the value of an input parameter is only decidable at run time",
                           f"{what} on input parameter", unsupported=True)
        return bool(v)

    def s_BranchingStatement(self, node) -> None:
        if self._condition(node.condition, "if"):
            self.in_block(node.if_block)
        else:
            self.in_block(node.else_block)

    def s_SwitchStatement(self, node) -> None:
        v = self.value(node.target)
        if isinstance(v, Sym):
            raise self.err(node.target, "switch on an input parameter is only decidable at run time",
                           "switch on input parameter", unsupported=True)
        for values, body in node.cases:
            if any(self.value(c) == v for c in values):
                self.in_block(body.statements)
                return
        if node.default is not None:
            self.in_block(node.default.statements)

    def _loop_values(self, node) -> list:
        s = node.set_declaration
        if isinstance(s, A.RangeDefinition):
            if s.start is None or s.end is None:
                raise self.err(node, "a for-loop range needs a start and an end", "for loop range")
            start = self.static_int(s.start, "range start")
            end = self.static_int(s.end, "range end")
            step = 1 if s.step is None else self.static_int(s.step, "range step")
            if step == 0:
                raise self.err(s.step, "range step must not be zero", "for loop range")
            values = range(start, end + (1 if step > 0 else -1), step)  # lazy: never materialised
            limit = self.limits.max_loop_iterations
            if len(values) > limit:
                raise self.err(node, f"this loop runs {len(values)} iterations; the limit is {limit}",
                               "loop trip count", limit="parse.max_loop_iterations")
            return values
        if isinstance(s, A.DiscreteSet):
            return [self.value(v) for v in s.values]
        if isinstance(s, A.Identifier):
            sym = self.lookup(s)
            if sym.kind == BITS:
                raise self.err(s, "looping over a bit register depends on measurement results", "for over bits",
                               unsupported=True)
        raise self.err(s, "for loops need a static range [a:b] / [a:s:b] or a set {...}", "for loop set",
                       unsupported=True)

    def s_ForInLoop(self, node) -> None:
        values = self._loop_values(node)
        name = node.identifier.name
        for v in values:
            self.loop_iterations += 1
            self.spend(node)
            v = self._cast_at(node.type, v, node)
            try:
                self.in_block(node.block, **{name: Symbol(VAR, v, node)})
            except _Continue:
                continue
            except _Break:
                break

    def s_WhileLoop(self, node) -> None:
        raise self.err(node, "while loops run until a run-time condition holds and cannot be unrolled",
                       "while loop", unsupported=True)

    def s_BreakStatement(self, node) -> None:
        raise _Break()

    def s_ContinueStatement(self, node) -> None:
        raise _Continue()

    def s_EndStatement(self, node) -> None:
        raise _End()

    def s_CompoundStatement(self, node) -> None:
        self.in_block(node.statements)

    def s_Pragma(self, node) -> None:
        pass

    def s_ExpressionStatement(self, node) -> None:
        e = node.expression
        if isinstance(e, A.FunctionCall) and self._is_subroutine(e.name):
            self.call_subroutine(self.lookup(e.name).value, e.arguments, e, target=None)
            return
        self._maybe_runtime(e)

    # ------------------------------------------------------------- subroutines
    def _is_subroutine(self, ident) -> bool:
        sym = self.scope.lookup(ident.name)
        return sym is not None and sym.kind == DEF

    def call_into_bits(self, call, bits: tuple[int, ...], node) -> None:
        sym = self.lookup(call.name)
        result = self.call_subroutine(sym.value, call.arguments, call, target=bits)
        if isinstance(result, Bits):
            if result.clbits != bits:
                self._retarget(result.clbits, bits, call)
            return
        raise self.err(call, f"subroutine '{call.name.name}' does not return a measurement result",
                       "classical bit assignment", unsupported=True)

    def _retarget(self, src: tuple[int, ...], dst: tuple[int, ...], node) -> None:
        """Point the measurements that produced ``src`` (inside the call just made) at ``dst``."""
        if len(src) != len(dst):
            raise self.err(node, f"result has {len(src)} bit(s) but the target has {len(dst)}", "bit assignment")
        mapping = dict(zip(src, dst))
        ops, seen = self.builder.ops, set()
        for i in range(len(ops) - 1, -1, -1):
            op = ops[i]
            if op.name == "measure" and op.clbits[0] in mapping and op.clbits[0] not in seen:
                seen.add(op.clbits[0])
                ops[i] = type(op)(op.name, op.qubits, (mapping[op.clbits[0]],), op.params, op.ctrl_qubits)
        if seen != set(src):
            raise self.err(node, "copying classical bits that were not measured in the subroutine is not supported",
                           "classical bit copy", unsupported=True)

    def call_subroutine(self, sdef: SubroutineDef, arg_nodes, node, target):
        if len(arg_nodes) != len(sdef.arguments):
            raise self.err(node, f"subroutine '{sdef.name}' takes {len(sdef.arguments)} argument(s), got "
                                 f"{len(arg_nodes)}", "subroutine call")
        if any(f.name == sdef.name for f in self.frames):
            raise self.err(node, f"subroutine '{sdef.name}' calls itself; recursion cannot be unrolled",
                           "recursive subroutine", unsupported=True)
        if self.gate_stack:
            raise self.err(node, "subroutines cannot be called inside a gate body", "subroutine call")
        self.spend(node)
        names: dict[str, Symbol] = {}
        for formal, actual in zip(sdef.arguments, arg_nodes):
            if isinstance(formal, A.QuantumArgument):
                qubits, register = self.resolve(actual, QUBITS)
                if formal.size is None:
                    if len(qubits) != 1:
                        raise self.err(actual, f"argument '{formal.name.name}' is one qubit; got {len(qubits)}",
                                       "subroutine argument")
                    names[formal.name.name] = Symbol(QUBITS, (qubits, False), formal)
                else:
                    size = self.static_int(formal.size, "qubit argument size")
                    if len(qubits) != size:
                        raise self.err(actual, f"argument '{formal.name.name}' has {size} qubit(s); got "
                                               f"{len(qubits)}", "subroutine argument")
                    names[formal.name.name] = Symbol(QUBITS, (qubits, True), formal)
            else:
                if isinstance(formal.type, A.BitType):
                    raise self.err(actual, "passing classical bits to a subroutine is not supported",
                                   "bit argument", unsupported=True)
                self._check_classical_type(formal.type, formal)
                v = self._cast_at(formal.type, self.value(actual), actual)
                names[formal.name.name] = Symbol(VAR, v, formal)
        outer = self.scope
        self.scope = Scope(parent=self.global_scope, barrier="def", names=names)
        self.frames.append(_Frame(sdef.name, target, len(self.builder.ops)))
        try:
            self.block(sdef.body)
            return None
        except _Return as r:
            return r.value
        finally:
            self.frames.pop()
            self.scope = outer

    def s_ReturnStatement(self, node) -> None:
        if not self.frames:
            raise self.err(node, "'return' outside a subroutine", "return")
        e = node.expression
        if e is None:
            raise _Return(None)
        if isinstance(e, A.QuantumMeasurement):
            frame = self.frames[-1]
            qubits = self.resolve(e.qubit, QUBITS)[0]
            if frame.target is not None and len(frame.target) == len(qubits):
                clbits = frame.target
            else:
                clbits = tuple(self.builder.add_clbits([f"{frame.name}.return[{i}]" for i in range(len(qubits))],
                                                       hidden=True))
            self.measure(e.qubit, clbits, node)
            raise _Return(Bits(clbits))
        if isinstance(e, A.Identifier):
            sym = self.lookup(e)
            if sym.kind == BITS:
                raise _Return(Bits(sym.value[0]))
        raise _Return(self._maybe_runtime(e))

    # ------------------------------------------------------ rejected constructs
    def _reject(self, node, construct: str, why: str) -> None:
        raise self.err(node, f"{construct}: {why}", construct, unsupported=True)

    def s_CalibrationDefinition(self, node) -> None:
        self._reject(node, "defcal", "pulse-level calibrations cannot run on a gate-level simulator")

    def s_CalibrationStatement(self, node) -> None:
        self._reject(node, "cal", "pulse-level calibration blocks cannot run on a gate-level simulator")

    def s_CalibrationGrammarDeclaration(self, node) -> None:
        self._reject(node, "defcalgrammar", "pulse-level calibration grammars are not supported")

    def s_ExternDeclaration(self, node) -> None:
        self._reject(node, "extern", "extern functions run outside the program and cannot be evaluated")

    def s_DelayInstruction(self, node) -> None:
        self._reject(node, "delay", "timing instructions are not supported")

    def s_Box(self, node) -> None:
        self._reject(node, "box", "timing boxes are not supported")


def lower_program(program, text: str, *, name: str = "circuit", file: str | None = None,
                  base_dir: Path | None = None, source: str | None = None) -> Circuit:
    low = Lowering(text, file, base_dir)
    low.run(program)
    return low.builder.build(name, "qasm3", text if source is None else source)


def loads_qasm3(text: str, *, name: str = "circuit", file: str | None = None, base_dir: Path | None = None,
                fast: bool = True, limits: ParseLimits | None = None) -> Circuit:
    """OpenQASM 3 text -> Circuit. Straight-line programs take the fast path (same result, no ANTLR).

    ``limits`` (default: the active ones, or ``ParseSettings()``) bound the work; the text is
    pre-scanned (literals, nesting) before ANTLR sees it."""
    with activate(limits) as budget:
        if fast:
            from .qasm3_fast import try_fast
            circuit = try_fast(text, name=name)
            if circuit is not None:
                return circuit
        _, depth = prescan(text, budget.limits, 3, file=file)
        with deep_recursion(depth):
            program = parse_qasm3(text, file=file)
            return lower_program(program, text, name=name, file=file, base_dir=base_dir)
