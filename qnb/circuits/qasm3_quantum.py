"""Quantum statements of the OpenQASM 3 lowering: operands, gate calls, modifiers, measure/reset/barrier.

A mixin of :class:`qnb.circuits.qasm3.Lowering` (which provides ``value``, ``lookup``, ``err`` and the
scopes). Gate calls resolve to a library gate, the builtins ``U``/``gphase``, or a user ``gate``
definition; the latter is inlined, unless its body is exactly the IR library gate of the same
name (e.g. the ``rzz`` definition qiskit and :func:`qnb.circuits.to_qasm3` write), in which case it
becomes that single gate. Register operands broadcast elementwise.
"""

from __future__ import annotations

from openqasm3 import ast as A

from .expr import ExprError, to_param
from .gates import GATES
from .library import LibGate
from .ir import Operation
from .modifiers import GPHASE, control, gphase, inverse, negcontrol, power
from .qasm3_scope import BITS, GATE, QUBITS, GateDef, Scope, Symbol

__all__ = ["QuantumLowering"]

_MOD_NAMES = {A.GateModifierName.ctrl: "ctrl", A.GateModifierName.negctrl: "negctrl",
              A.GateModifierName.inv: "inv", A.GateModifierName.pow: "pow"}


class QuantumLowering:
    # ----------------------------------------------------------------- operands
    def resolve(self, node, kind: str) -> tuple[tuple[int, ...], bool]:
        """Qubit (or clbit) indices an operand denotes, and whether it is a register (broadcasts)."""
        noun = "qubit" if kind == QUBITS else "bit"
        if isinstance(node, A.Identifier):
            if node.name.startswith("$"):
                if kind != QUBITS:
                    raise self.err(node, f"physical qubit {node.name} used where a bit is expected", "operand")
                if node.name not in self.physical:  # first seen in an included file
                    self.physical[node.name] = self.builder.add_qubits([node.name])[0]
                return (self.physical[node.name],), False
            sym = self.lookup(node)
            if sym.kind != kind:
                raise self.err(node, f"'{node.name}' is a {sym.kind}, not a {noun} register", "operand")
            return sym.value
        if isinstance(node, A.IndexedIdentifier):
            items = self.resolve(node.name, kind)
            for index in node.indices:
                items = self._index(items, index, node, node.name.name)
            return items
        if isinstance(node, A.IndexExpression):
            items = self.resolve(node.collection, kind)
            name = node.collection.name if isinstance(node.collection, A.Identifier) else "expression"
            return self._index(items, node.index, node, name)
        if isinstance(node, A.Concatenation):
            lhs, rhs = self.resolve(node.lhs, kind), self.resolve(node.rhs, kind)
            return lhs[0] + rhs[0], True
        raise self.err(node, f"expected a {noun} operand, got {type(node).__name__}", "operand")

    def _index(self, items, index, node, name: str) -> tuple[tuple[int, ...], bool]:
        elems, register = items
        if not register:
            raise self.err(node, f"'{name}' is a single qubit/bit and cannot be indexed", "index")
        n = len(elems)

        def one(expr) -> int:
            i = self.static_int(expr, "index")
            j = i + n if i < 0 else i
            if not 0 <= j < n:
                raise self.err(expr, f"index {i} out of range for '{name}' of size {n}", "index out of range")
            return j

        if isinstance(index, A.DiscreteSet):
            return tuple(elems[one(v)] for v in index.values), True
        if len(index) != 1:
            raise self.err(node, f"'{name}' is one-dimensional; got {len(index)} indices", "index")
        (ix,) = index
        if isinstance(ix, A.RangeDefinition):
            start = 0 if ix.start is None else one(ix.start)
            end = n - 1 if ix.end is None else one(ix.end)
            step = 1 if ix.step is None else self.static_int(ix.step, "range step")
            if step == 0:
                raise self.err(ix.step, "range step must not be zero", "index")
            return tuple(elems[j] for j in range(start, end + (1 if step > 0 else -1), step)), True
        return (elems[one(ix)],), False

    def _broadcast(self, operands, node):
        sizes = sorted({len(q) for q, reg in operands if reg})
        if len(sizes) > 1:
            raise self.err(node, f"register operands have different sizes {sizes}; broadcasting needs equal sizes",
                           "broadcast")
        count = sizes[0] if sizes else 1
        for i in range(count):
            yield tuple(q[i] if reg else q[0] for q, reg in operands)

    # ------------------------------------------------------------------ emission
    def emit_ops(self, ops, node) -> None:
        b = self.builder
        if self.sinks:  # inside a gate body: held until the call completes, but counted now
            self.sinks[-1].extend(ops)
            self.pending_ops += len(ops)
            if self.pending_ops + len(b.ops) > b.max_ops:
                raise self.expr_err(node, b.ops_error())
            return
        for op in ops:
            if op.name == GPHASE:
                self.dropped_global_phase = True
                continue
            try:
                b.emit(op)
            except ExprError as e:
                raise self.expr_err(node, e) from None

    # ------------------------------------------------------------------- gates
    def s_QuantumGate(self, node) -> None:
        if node.duration is not None:
            raise self.err(node, "gate calls with a duration are timing constructs", "gate duration",
                           unsupported=True)
        name = node.name.name
        gate = self._find_gate(node.name)
        nq, npar = self._signature(gate)
        params = tuple(self.value(a) for a in node.arguments)
        if len(params) != npar:
            raise self.err(node, f"gate '{name}' takes {npar} parameter(s), got {len(params)}", "gate parameters")
        self._call(node, gate, params, nq, name)

    def s_QuantumPhase(self, node) -> None:
        angle = self.value(node.argument)
        if not node.modifiers:
            self.emit_ops([gphase(angle)], node)  # a global phase, whatever qubits it names
            return
        self._call(node, "gphase", (angle,), 0, "gphase")

    def _call(self, node, gate, params, nq: int, name: str) -> None:
        mods = self._modifiers(node.modifiers)
        nctrl = sum(v for kind, v, _ in mods if kind in ("ctrl", "negctrl"))
        operands = [self.resolve(q, QUBITS) for q in node.qubits]
        if len(operands) != nq + nctrl:
            extra = f" plus {nctrl} control(s)" if nctrl else ""
            raise self.err(node, f"gate '{name}' acts on {nq} qubit(s){extra}, got {len(operands)} operand(s)",
                           "gate arity")
        if (not mods and not self.sinks and isinstance(gate, LibGate) and gate.expand is None
                and gate.phase is None):
            self._call_library(node, gate, params, operands, name)
            return
        for qubits in self._broadcast(operands, node):
            if len(set(qubits)) != len(qubits):
                raise self.err(node, f"gate '{name}' is given the same qubit twice", "duplicate qubit")
            self.emit_ops(self._apply(mods, gate, params, qubits, node), node)

    def _call_library(self, node, gate, params, operands, name: str) -> None:
        """A library gate without modifiers at top level: one op per broadcast element, built directly
        (the same ops as the general path, several times faster for ``h q;`` on a large register)."""
        b = self.builder
        try:
            final = tuple(to_param(p) for p in params)
        except ExprError as e:
            raise self.expr_err(node, e) from None
        ir_name, emit = gate.ir_name, b.emit_final
        try:
            for qubits in self._broadcast(operands, node):
                if len(qubits) > 1 and len(set(qubits)) != len(qubits):
                    raise self.err(node, f"gate '{name}' is given the same qubit twice", "duplicate qubit")
                emit(Operation(ir_name, qubits, (), final))
        except ExprError as e:
            raise self.expr_err(node, e) from None

    def _modifiers(self, modifiers) -> list:
        out = []
        for m in modifiers:
            kind = _MOD_NAMES[m.modifier]
            if kind in ("ctrl", "negctrl"):
                n = 1 if m.argument is None else self.static_int(m.argument, f"{kind} count")
                if n < 1:
                    raise self.err(m, f"{kind}({n}) needs a positive number of controls", kind)
                out.append((kind, n, m))
            elif kind == "pow":
                out.append((kind, self.value(m.argument), m))
            else:
                out.append((kind, None, m))
        return out

    def _apply(self, mods, gate, params, qubits, node) -> list[Operation]:
        pos, plan = 0, []
        for kind, v, m in mods:
            if kind in ("ctrl", "negctrl"):
                plan.append((kind, tuple(qubits[pos:pos + v]), m))
                pos += v
            else:
                plan.append((kind, v, m))
        ops = self._body(gate, params, tuple(qubits[pos:]), node)
        for kind, v, m in reversed(plan):
            try:
                if kind == "ctrl":
                    ops = control(ops, v)
                elif kind == "negctrl":
                    ops = negcontrol(ops, v)
                elif kind == "inv":
                    ops = inverse(ops)
                else:
                    ops = power(ops, v)
            except ExprError as e:
                raise self.expr_err(m, e) from None
        return ops

    def _find_gate(self, ident):
        name = ident.name
        sym = self.scope.lookup(name)
        if sym is not None and sym.kind == GATE:
            return sym.value
        if name in self.library:
            return self.library[name]
        from .library import BUILTINS
        if name in BUILTINS:
            return BUILTINS[name]
        if sym is not None and sym.kind != "hidden":
            raise self.err(ident, f"'{name}' is a {sym.kind}, not a gate", "unknown gate")
        hint = ""
        from .library import LIBRARIES
        for lib, gates in LIBRARIES.items():
            if name in gates:
                hint = f" (it is in {lib}: add include \"{lib}\";)"
                break
        raise self.err(ident, f"unknown gate '{name}'{hint}", "unknown gate")

    @staticmethod
    def _signature(gate) -> tuple[int, int]:
        if isinstance(gate, GateDef):
            return len(gate.qubits), len(gate.params)
        return gate.num_qubits, gate.num_params

    def _body(self, gate, params, qubits, node) -> list[Operation]:
        if gate == "gphase":
            return [gphase(params[0])]
        if isinstance(gate, GateDef):
            if self._recognized(gate):
                return [Operation(gate.name, qubits, (), params)]
            return self.inline_gate(gate, params, qubits, node)
        return gate.lower(params, qubits)

    def inline_gate(self, gdef: GateDef, params, qubits, node) -> list[Operation]:
        """The ops of ``gdef``'s body for these arguments (read-only: the list may be shared).

        A body sees only its arguments, constants and gates, which never change once declared, so
        its expansion is memoised by (definition, typed parameters, qubits): nested definitions
        that call each other twice (``gate g2 a { g1 a; g1 a; }``) cost linear, not exponential,
        work. Failed expansions are not memoised."""
        if gdef.name in self.gate_stack:
            raise self.err(node, f"gate '{gdef.name}' is used inside its own definition", "recursive gate")
        self.spend(node)
        key = (id(gdef), tuple((p.__class__, p) for p in params), tuple(qubits))
        cache = self.inline_cache
        hit = cache.get(key)
        if hit is not None:
            return hit
        ops = self._inline(gdef, params, qubits)
        self.inline_cached_ops += len(ops)
        if len(cache) >= 4096 or self.inline_cached_ops > self.builder.max_ops:
            cache.clear()
            self.inline_cached_ops = len(ops)
        cache[key] = ops
        return ops

    def _inline(self, gdef: GateDef, params, qubits) -> list[Operation]:
        names = {p: Symbol("const", v, gdef.node) for p, v in zip(gdef.params, params)}
        names.update({q: Symbol(QUBITS, ((i,), False), gdef.node) for q, i in zip(gdef.qubits, qubits)})
        outer = self.scope
        self.scope = Scope(parent=self.global_scope, barrier="gate", names=names)
        self.gate_stack.append(gdef.name)
        self.sinks.append([])
        try:
            self.block(gdef.body)
            return self.sinks[-1]
        finally:
            self.pending_ops -= len(self.sinks.pop())
            self.gate_stack.pop()
            self.scope = outer

    def _recognized(self, gdef: GateDef) -> bool:
        """True when ``gdef`` is exactly the IR library gate of the same name (checked once, numerically)."""
        if gdef.recognized is None:
            gdef.recognized = False
            info = GATES.get(gdef.name)
            if info is not None and info.num_qubits == len(gdef.qubits) and info.num_params == len(gdef.params):
                from .recognize import body_matches_gate
                from ..errors import QasmError

                def body(values):
                    return self.inline_gate(gdef, tuple(values), tuple(range(info.num_qubits)), gdef.node)
                try:
                    gdef.recognized = body_matches_gate(gdef.name, body)
                except QasmError as e:
                    if e.fields.get("limit"):  # a bound, not a mismatch: report it
                        raise
                    gdef.recognized = False
                except (ExprError, TypeError, ValueError):
                    gdef.recognized = False  # not a fixed numeric matrix: inline it instead
        return gdef.recognized

    # ------------------------------------------------------- non-unitary ops
    def measure(self, qubit_node, clbits: tuple[int, ...], node) -> None:
        qubits = self.resolve(qubit_node, QUBITS)[0]
        if len(qubits) != len(clbits):
            raise self.err(node, f"measuring {len(qubits)} qubit(s) into {len(clbits)} bit(s)", "measure")
        self.emit_ops([Operation("measure", (q,), (c,)) for q, c in zip(qubits, clbits)], node)

    def s_QuantumMeasurementStatement(self, node) -> None:
        qubits = self.resolve(node.measure.qubit, QUBITS)[0]
        if node.target is None:
            clbits = tuple(self.builder.add_clbits([f"_measure[{i}]" for i in range(len(qubits))], hidden=True))
        else:
            clbits = self.resolve(node.target, BITS)[0]
        self.measure(node.measure.qubit, clbits, node)

    def s_QuantumReset(self, node) -> None:
        qubits = self.resolve(node.qubits, QUBITS)[0]
        self.emit_ops([Operation("reset", (q,)) for q in qubits], node)

    def s_QuantumBarrier(self, node) -> None:
        if node.qubits:
            seen: dict[int, None] = {}
            for q in node.qubits:
                for i in self.resolve(q, QUBITS)[0]:
                    seen.setdefault(i, None)
            qubits = tuple(seen)
        elif self.gate_stack:
            return  # a bare barrier inside a gate body has no effect on the unitary
        else:
            qubits = tuple(range(len(self.builder.qubit_labels)))
        if qubits:
            self.emit_ops([Operation("barrier", qubits)], node)

