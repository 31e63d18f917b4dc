"""Fast path for straight-line OpenQASM 3 (declarations, gate calls, measure, reset, barrier).

The reference parser is ANTLR in pure Python: ~15 ms for 50 gates, ~2.5 s for 5,000, which alone
would break the compile-latency targets (NFR-003). Most programs that reach the planner (bundled
circuits, :func:`qnb.circuits.to_qasm3` output) are straight-line, and this module lowers exactly
that subset with regular expressions, through the same :class:`CircuitBuilder`, library tables and
expression evaluator as the AST lowering.

It never reports errors of its own: at the first statement it does not fully understand, or
anything the AST path would reject, it returns ``None`` and the caller runs the full parser, which
produces the result or the located error. Tests check both paths give identical circuits. The one
exception are the bounds of :mod:`.limits` (qubit, bit and operation counts, magnitudes, the
deadline), which it reports itself, located at the statement: they mean the same on both paths,
and a large program should not be handed to the slow parser only to be rejected there.
"""

from __future__ import annotations

import ast
import keyword
import re

from .builder import CircuitBuilder
from .expr import (CONSTANTS, PARAM_RESERVED, ExprError, LimitError, Sym, bounded, eval_qasm_static, nesting_bound,
                   python_to_qasm, sym_name)
from .gates import GATES
from .ir import Circuit, Operation
from .library import BUILTINS, LIBRARIES, QNB_GATE_DEFS
from .limits import current, located
from .modifiers import GPHASE
from .names import QASM_KEYWORDS

__all__ = ["try_fast"]

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_OPND = rf"({_ID})\s*(?:\[\s*(\d+)\s*\])?"
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_NOT_NEWLINE = re.compile(r"[^\n]")
_LONG_LITERAL = "(?<![A-Za-z0-9_])[0-9][0-9A-Za-z_]{%d}"
_WS = re.compile(r"\s*")
_HEADER = re.compile(r"OPENQASM\s+3(?:\.\d+)?\Z")
_INCLUDE = re.compile(r'include\s+"([^"]*)"\Z')
_QUBIT = re.compile(rf"qubit\s*\[\s*(\d+)\s*\]\s*({_ID})\Z|qubit\s+({_ID})\Z|qreg\s+({_ID})\s*\[\s*(\d+)\s*\]\Z")
_BIT = re.compile(rf"bit\s*\[\s*(\d+)\s*\]\s*({_ID})\Z|bit\s+({_ID})\Z|creg\s+({_ID})\s*\[\s*(\d+)\s*\]\Z")
_INPUT = re.compile(rf"input\s+(?:float|angle)\s*(?:\[\s*\d+\s*\])?\s+({_ID})\Z")
_MEAS_ASSIGN = re.compile(rf"{_OPND}\s*=\s*measure\s+{_OPND}\Z")
_MEAS_ARROW = re.compile(rf"measure\s+{_OPND}\s*->\s*{_OPND}\Z")
_RESET = re.compile(rf"reset\s+{_OPND}\Z")
_BARRIER = re.compile(r"barrier(?:\s+(.*))?\Z", re.S)
_NAME = re.compile(_ID)
_OPND_ONE = re.compile(rf"\s*{_OPND}\s*\Z")
_NUMBER = re.compile(r"(-?)(\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+(?:[eE][-+]?\d+)?|[1-9]\d*|0)\Z")
_DEFS = {" ".join(text.split()): name for name, text in QNB_GATE_DEFS.items()}
_RESERVED = QASM_KEYWORDS | frozenset(CONSTANTS) | {"U", "CX"}


class _Unsupported(Exception):
    """Not for the fast path: fall back to the full parser."""


class _Fast:
    def __init__(self) -> None:
        self.budget = current()
        self.b = CircuitBuilder(self.budget.limits)
        self.max_depth = self.budget.limits.max_expression_depth
        self.max_mag = self.budget.limits.max_magnitude
        self.qregs: dict[str, tuple[tuple[int, ...], bool]] = {}
        self.cregs: dict[str, tuple[tuple[int, ...], bool]] = {}
        self.inputs: dict[str, Sym] = {}
        self.defined: set[str] = set()
        self.library: dict = {}
        self.param_cache: dict[str, object] = {}
        self.operand_cache: dict[str, tuple[tuple[int, ...], bool]] = {}
        self.call_cache: dict[str, tuple[Operation, ...]] = {}

    # -------------------------------------------------------------- helpers
    def _declared(self, name: str) -> bool:
        return name in self.qregs or name in self.cregs or name in self.inputs or name in self.defined

    def _new_name(self, name: str) -> None:
        if self._declared(name) or name in self.library or name in _RESERVED:
            raise _Unsupported

    def _operand(self, regs: dict, name: str, index: str | None) -> tuple[tuple[int, ...], bool]:
        reg = regs.get(name)
        if reg is None:
            raise _Unsupported
        if index is None:
            return reg
        items, is_register = reg
        i = int(index)
        if not is_register or i >= len(items):
            raise _Unsupported
        return (items[i],), False

    def _param(self, text: str):
        cached = self.param_cache.get(text)
        if cached is not None:
            return cached
        m = _NUMBER.match(text.strip())
        if m:
            v = float(m.group(2)) if any(ch in m.group(2) for ch in ".eE") else int(m.group(2))
            value = -v if m.group(1) else v
            if not -self.max_mag <= value <= self.max_mag:
                bounded(value)  # raises the LimitError
        else:
            if len(text) > self.max_depth and nesting_bound(text) > self.max_depth:
                raise _Unsupported  # Python's parser would recurse: the full path's prescan reports it
            try:
                tree = ast.parse(text.strip(), mode="eval")
            except (SyntaxError, RecursionError, MemoryError, ValueError):
                raise _Unsupported from None
            node = python_to_qasm(tree)
            if node is None:
                raise _Unsupported
            for n in ast.walk(tree):
                if isinstance(n, ast.Name) and self._declared(n.id) and n.id not in self.inputs:
                    raise _Unsupported
            try:
                value = eval_qasm_static(node, self.inputs)
            except LimitError:
                raise
            except ExprError:
                raise _Unsupported from None
            if isinstance(value, bool):
                raise _Unsupported
        self.param_cache[text] = value
        return value

    def _gate(self, name: str):
        if name in self.defined:
            return "def", GATES[name]
        if self._declared(name):
            raise _Unsupported
        gate = self.library.get(name) or BUILTINS.get(name)
        if gate is None:
            raise _Unsupported
        return "lib", gate

    # ------------------------------------------------------------ statements
    def statement(self, s: str, first: bool) -> None:
        cached = self.call_cache.get(s)
        if cached is not None:  # the same gate call again: it lowers the same way (no redeclarations)
            self.b.ops.extend(cached)  # the operation bound is checked per statement by try_fast
            return
        head = s.split(None, 1)[0] if s else ""
        if head == "OPENQASM":
            if not first or not _HEADER.match(s):
                raise _Unsupported
            return
        if head == "include":
            m = _INCLUDE.match(s)
            if not m or m.group(1) not in LIBRARIES:
                raise _Unsupported
            for name, gate in LIBRARIES[m.group(1)].items():
                if name in self.defined or self._declared(name):
                    raise _Unsupported
                self.library.setdefault(name, gate)
            return
        if head.startswith(("qubit", "qreg")):
            m = _QUBIT.match(s)
            if not m:
                raise _Unsupported
            size, name = (m.group(1), m.group(2)) if m.group(2) else ((None, m.group(3)) if m.group(3)
                                                                       else (m.group(5), m.group(4)))
            self._new_name(name)
            if size is None:
                self.qregs[name] = (tuple(self.b.add_qubits([name])), False)
            else:
                n = _size(size)
                if n < 1:
                    raise _Unsupported
                self.b.check_qubits(n, f"qubit register '{name}'")
                self.qregs[name] = (tuple(self.b.add_qubits([f"{name}[{i}]" for i in range(n)])), True)
            return
        if head.startswith(("bit", "creg")):
            m = _BIT.match(s)
            if not m:
                raise _Unsupported
            size, name = (m.group(1), m.group(2)) if m.group(2) else ((None, m.group(3)) if m.group(3)
                                                                       else (m.group(5), m.group(4)))
            self._new_name(name)
            if size is None:
                self.cregs[name] = (tuple(self.b.add_clbits([name])), False)
            else:
                n = _size(size)
                if n < 1:
                    raise _Unsupported
                self.b.check_clbits(n, f"bit register '{name}'")
                self.cregs[name] = (tuple(self.b.add_clbits([f"{name}[{i}]" for i in range(n)])), True)
            return
        if head == "input":
            m = _INPUT.match(s)
            if not m:
                raise _Unsupported
            name = m.group(1)
            if name in PARAM_RESERVED or keyword.iskeyword(name):
                raise _Unsupported
            self._new_name(name)
            self.inputs[name] = sym_name(name)
            self.b.parameters.append(name)
            return
        if head == "measure":
            m = _MEAS_ARROW.match(s)
            if not m:
                raise _Unsupported
            self._measure(m.group(1), m.group(2), m.group(3), m.group(4))
            return
        if head == "reset":
            m = _RESET.match(s)
            if not m:
                raise _Unsupported
            for q in self._operand(self.qregs, m.group(1), m.group(2))[0]:
                self.b.ops.append(Operation("reset", (q,)))
            return
        if head.startswith("barrier"):
            self._barrier(s)
            return
        if "=" in s:
            m = _MEAS_ASSIGN.match(s)
            if not m:
                raise _Unsupported
            self._measure(m.group(3), m.group(4), m.group(1), m.group(2))
            return
        self._call(s)

    def _measure(self, qname, qidx, cname, cidx) -> None:
        qubits = self._operand(self.qregs, qname, qidx)[0]
        clbits = self._operand(self.cregs, cname, cidx)[0]
        if len(qubits) != len(clbits):
            raise _Unsupported
        for q, c in zip(qubits, clbits):
            self.b.ops.append(Operation("measure", (q,), (c,)))

    def _barrier(self, s: str) -> None:
        m = _BARRIER.match(s)
        if not m:
            raise _Unsupported
        if m.group(1) is None or not m.group(1).strip():
            qubits = tuple(range(len(self.b.qubit_labels)))
        else:
            seen: dict[int, None] = {}
            for part in m.group(1).split(","):
                om = _OPND_ONE.match(part)
                if not om:
                    raise _Unsupported
                for q in self._operand(self.qregs, om.group(1), om.group(2))[0]:
                    seen.setdefault(q, None)
            qubits = tuple(seen)
        if qubits:
            self.b.ops.append(Operation("barrier", qubits))

    def _call(self, s: str) -> None:
        m = _NAME.match(s)
        if not m:
            raise _Unsupported
        name, rest = m.group(), s[m.end():]
        if name in QASM_KEYWORDS:
            raise _Unsupported
        kind, gate = self._gate(name)
        stripped = rest.lstrip()
        if stripped.startswith("("):
            close = stripped.rfind(")")
            if close < 0:
                raise _Unsupported
            args, rest = stripped[1:close], stripped[close + 1:]
            params = tuple(self._param(a) for a in _split_args(args)) if args.strip() else ()
        elif rest[:1].isspace():
            params = ()
        else:
            raise _Unsupported
        if len(params) != gate.num_params:
            raise _Unsupported
        operands = [self._qubit_operand(part) for part in rest.split(",")]
        if len(operands) != gate.num_qubits:
            raise _Unsupported
        if all(not reg for _, reg in operands):
            rounds = [tuple(q[0] for q, _ in operands)]
        else:
            sizes = {len(q) for q, reg in operands if reg}
            if len(sizes) > 1:
                raise _Unsupported
            rounds = [tuple(q[i] if reg else q[0] for q, reg in operands) for i in range(sizes.pop())]
        emit, start = self.b.emit_unchecked, len(self.b.ops)
        for qubits in rounds:
            if len(qubits) > 1 and len(set(qubits)) != len(qubits):
                raise _Unsupported
            if kind == "def" or (gate.expand is None and gate.phase is None):
                ops = (Operation(gate.name if kind == "def" else gate.ir_name, qubits, (), params),)
            else:
                ops = gate.lower(params, qubits)
            try:
                for op in ops:
                    if op.name != GPHASE:
                        emit(op)
            except LimitError:
                raise
            except ExprError:
                raise _Unsupported from None
        self.call_cache[s] = tuple(self.b.ops[start:])

    def _qubit_operand(self, text: str) -> tuple[tuple[int, ...], bool]:
        hit = self.operand_cache.get(text)
        if hit is None:
            om = _OPND_ONE.match(text)
            if not om:
                raise _Unsupported
            hit = self.operand_cache[text] = self._operand(self.qregs, om.group(1), om.group(2))
        return hit

    def gate_def(self, text: str) -> None:
        name = _DEFS.get(" ".join(text.split()))
        if name is None or self._declared(name) or name in self.library:
            raise _Unsupported
        self.defined.add(name)


def _size(digits: str) -> int:
    """A register size (astronomically large ones stay large without building a huge int)."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= 18 else 10**18


def _blank(m: re.Match) -> str:
    return _NOT_NEWLINE.sub(" ", m.group())


def _split_args(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise _Unsupported
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if depth != 0 or any(not p.strip() for p in parts):
        raise _Unsupported
    return parts


def try_fast(text: str, name: str = "circuit") -> Circuit | None:
    """The circuit, or None when the program needs the full parser (or is invalid).

    Bounds of the active :class:`~qnb.circuits.limits.Budget` are enforced as located QasmErrors."""
    if not text.isascii() or any(ch in text for ch in "$@"):
        return None
    code = _COMMENTS.sub(_blank, text)  # same length: offsets stay valid for error positions
    fast = _Fast()
    budget = fast.budget
    digits = budget.limits.max_literal_digits
    ops, max_ops = fast.b.ops, fast.b.max_ops
    long_literal = None
    pos, n, first, count = 0, len(code), True, 0
    try:
        while True:
            pos = _WS.match(code, pos).end()
            if pos >= n:
                break
            if code.startswith("gate", pos) and (pos + 4 < n and code[pos + 4].isspace()):
                end = code.find("}", pos)
                if end < 0:
                    return None
                fast.gate_def(code[pos:end + 1])
                pos, first = end + 1, False
                continue
            end = code.find(";", pos)
            if end < 0:
                return None
            stmt = code[pos:end].strip()
            if not stmt or "{" in stmt or "}" in stmt:
                return None
            if len(stmt) > digits:  # a literal beyond parse.max_literal_digits: the full path's prescan reports it
                long_literal = long_literal or re.compile(_LONG_LITERAL % digits)
                if long_literal.search(stmt):
                    return None
            count += 1
            if not count & 255:
                budget.check_deadline()
            fast.statement(stmt, first)
            if len(ops) > max_ops:
                raise fast.b.ops_error()
            pos, first = end + 1, False
    except _Unsupported:
        return None
    except LimitError as e:
        raise located(e, text, pos) from None
    return fast.b.build(name, "qasm3", text)
