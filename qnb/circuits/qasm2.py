"""OpenQASM 2 -> IR through qiskit's OpenQASM 2 parser (FR-003).

``qiskit.qasm2`` with ``LEGACY_CUSTOM_INSTRUCTIONS`` understands ``qelib1.inc`` and the legacy
gates real files use (``u0 u1 u2 u3 cu1 cu3 rxx rzz c3x c4x rc3x ...``); the circuit is then
converted with :func:`.from_qiskit.from_qiskit`. Precautions:

* qiskit's custom instructions *replace* a file's own ``gate`` definition of the same name; we drop
  those names from the list so a file's definition is always what runs.
* errors carry a location: parse errors (``"<input>:LINE,COL: ..."``) are re-raised as
  :class:`QasmError`, and ``if`` / ``opaque`` (valid OpenQASM 2 that qnb cannot run) are reported at
  their statement.
* bounds (:mod:`.limits`) are checked before qiskit's Rust parser sees the text, which panics on
  registers beyond 2**31 and builds every broadcast instruction in memory: the source size,
  literal digits, nesting, register sizes (``parse.max_qubits`` / ``max_clbits``), the number of
  instructions the top-level statements broadcast to (``parse.max_operations``) and every
  ``include`` (only the allowed directories: qiskit itself would read any absolute path). The
  Python half of qiskit's parser runs behind a generator that watches the deadline, and the
  conversion bounds gate expansion; an error found there is located at its top-level statement.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import QasmError, UnsupportedConstructError
from .expr import ExprError, LimitError
from .includes import read_include, resolve_include
from .ir import Circuit
from .limits import (Budget, ParseLimits, activate, blank_non_code, deep_recursion, limit_error, located, position,
                     prescan)

__all__ = ["loads_qasm2"]

_LOCATION = re.compile(r"(?s)^(.*?):(\d+),(\d+):\s*(.*)")
_GATE_DEF = re.compile(r"\bgate\s+([A-Za-z_][A-Za-z0-9_]*)")
_IF = re.compile(r"\bif\s*\(")
_OPAQUE = re.compile(r"\bopaque\s+([A-Za-z_][A-Za-z0-9_]*)")
_REG = re.compile(r"\b(qreg|creg)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*([0-9]+)\s*\]")
_INCLUDE_KW = re.compile(r"\binclude\b")
#: integers qiskit's Rust lexer converts to a machine integer (it panics at 2**64): after '[' (sizes,
#: indices, whatever follows) and in a version number
_MACHINE_INT = re.compile(r"\[\s*([0-9]+)|\bOPENQASM\s*[0-9]*\.?([0-9]+)")
_INCLUDE = re.compile(r"""\binclude\s*(?:"([^"\n]*)"|'([^'\n]*)')""")
_OPERAND = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(\[)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEFINITION = re.compile(r"\b(?:gate|opaque)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?")
_BUILTIN_INCLUDES = frozenset({"qelib1.inc"})
#: includes of includes, at most this deep
_MAX_INCLUDE_DEPTH = 8


def _blank_comments(text: str) -> str:
    """Comments and string contents replaced by spaces so that offsets (and so line/column) are unchanged."""
    return blank_non_code(text, 2)


def _position(text: str, offset: int) -> tuple[int, int]:
    return position(text, offset)


def loads_qasm2(text: str, *, name: str = "circuit", file: str | None = None,
                base_dir: Path | None = None, limits: ParseLimits | None = None) -> Circuit:
    import qiskit.qasm2 as q2
    from .from_qiskit import from_qiskit

    fields = {"file": file} if file else {}
    with activate(limits) as budget:
        lim = budget.limits
        code, _ = prescan(text, lim, 2, file=file)
        dirs = lim.include_dirs(base_dir)
        scan = _Scan(lim, dirs, budget)
        scan.program(text, code, file)
        scan.arity({ci.name: ci.num_params for ci in q2.LEGACY_CUSTOM_INSTRUCTIONS})
        own = set(_GATE_DEF.findall(code)) | scan.included_gates
        custom = [ci for ci in q2.LEGACY_CUSTOM_INSTRUCTIONS if ci.name not in own]
        include_path = [str(d) for d in dirs if d.is_dir()]
        try:
            qc = _parse(text, include_path, custom, budget)
        except LimitError as e:  # stopped while qiskit built instructions: locate the statement it was at
            line = column = None
            index = getattr(e, "instruction", None)
            offset = None if index is None else _statement_of_instruction(code, scan.sizes, index)
            if offset is not None:
                line, column = _position(text, offset)
            raise QasmError(e.message, line=line, column=column, construct=e.construct, limit=e.limit,
                            **fields) from None
        except q2.QASM2ParseError as e:
            raise _parse_error(e, fields, text, code) from None
        except BaseException as e:  # pyo3 panics derive from BaseException
            if type(e).__name__ != "PanicException":
                raise
            raise QasmError(f"qiskit's OpenQASM 2 parser failed on this program ({str(e)[:200]})",
                            construct="syntax", internal=True, **fields) from None
        m = _IF.search(code)
        if m:
            line, col = _position(text, m.start())
            raise UnsupportedConstructError("'if' makes the circuit depend on measurement results (classical "
                                            "feed-forward), which a static circuit cannot express",
                                            line=line, column=col, construct="if (classical control)", **fields)
        for m in _OPAQUE.finditer(code):
            line, col = _position(text, m.start())
            raise UnsupportedConstructError(f"opaque gate '{m.group(1)}' has no definition, so it cannot be "
                                            "simulated", line=line, column=col, construct="opaque gate", **fields)
        try:
            with deep_recursion(lim.max_expression_depth):
                return from_qiskit(qc, name, source_format="qasm2", source=text)
        except QasmError as e:
            e.fields.update(fields)
            index = e.fields.pop("instruction", None)
            if e.line is None and index is not None:
                offset = _statement_of_instruction(code, scan.sizes, index)
                if offset is not None:
                    e.line, e.column = _position(text, offset)
                    e.fields["line"], e.fields["column"] = e.line, e.column
            raise


def _parse_error(e, fields: dict, text: str, code: str) -> QasmError:
    msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
    m = _LOCATION.search(msg)
    if m and m.group(1) == "<input>":
        return QasmError(m.group(4).strip()[:500], line=int(m.group(2)), column=int(m.group(3)) + 1,
                         construct="syntax", **fields)
    if m:  # inside an included file: say where (at the include statement), not what it contains
        inc = m.group(1)
        at = next((i.start() for i in _INCLUDE.finditer(text) if code.startswith("include", i.start())
                   and inc in (i.group(1), i.group(2))), None)
        line, col = position(text, at) if at is not None else (None, None)
        return QasmError(f"error in included file '{inc[:80]}' at its line {m.group(2)}, column "
                         f"{int(m.group(3)) + 1}", line=line, column=col, construct="include",
                         included_line=int(m.group(2)), **fields)
    line, col = (1, 1) if text else (None, None)
    return QasmError(f"invalid OpenQASM 2: {msg[:300]}", line=line, column=col, construct="syntax", **fields)


def _parse(text: str, include_path: list[str], custom: list, budget: Budget):
    """``qiskit.qasm2.loads``, with the bytecode stream between its Rust and Python halves watched:
    the deadline every 1,024 instructions, and at most ``max_operations`` (+ declarations) of them."""
    import qiskit.qasm2 as q2
    try:
        from qiskit._accelerate import qasm2 as rust
        from qiskit.qasm2 import parse as py
        bytecode = rust.bytecode_from_string(
            text, include_path,
            [rust.CustomInstruction(x.name, x.num_params, x.num_qubits, x.builtin) for x in custom], (), False)
        from_bytecode = py.from_bytecode
    except (ImportError, AttributeError, TypeError):  # another qiskit: its public API (prescan still bounds it)
        return q2.loads(text, include_path=include_path, custom_instructions=custom)
    cap = budget.limits.max_operations + len(text)
    codes = rust.OpCode
    gate, declare, end = codes.Gate, codes.DeclareGate, codes.EndDeclareGate
    made = (codes.Measure, codes.Reset, codes.Barrier, codes.ConditionedGate, codes.ConditionedMeasure,
            codes.ConditionedReset)

    def watched():
        """Yields qiskit's bytecode on; counts the circuit instructions it makes (outside gate bodies),
        so a stop can be located at its statement."""
        n = instructions = 0
        in_gate = False
        for op in bytecode:
            n += 1
            code = op.opcode
            if code == gate:
                if not in_gate:
                    instructions += 1
            elif code == declare:
                in_gate = True
            elif code == end:
                in_gate = False
            elif not in_gate and code in made:
                instructions += 1
            if not n & 1023:
                try:
                    budget.check_deadline()
                    if n > cap:
                        raise budget_ops_error(budget)
                except LimitError as e:
                    e.instruction = max(instructions - 1, 0)
                    raise
            yield op

    return from_bytecode(watched(), custom)


def budget_ops_error(budget: Budget) -> LimitError:
    return LimitError(f"the program expands to more than {budget.limits.max_operations} operations",
                      "parse.max_operations", construct="operation count")


class _Scan:
    """Register sizes, includes and broadcast counts of a program (and what it includes), pre-qiskit."""

    def __init__(self, limits: ParseLimits, dirs, budget: Budget) -> None:
        self.limits, self.dirs, self.budget = limits, dirs, budget
        self.qubits = self.clbits = 0
        self.sizes: dict[str, int] = {}
        self.seen: set[str] = set()
        self.included_gates: set[str] = set()
        self.sources: list[tuple[str, str, str | None]] = []

    def program(self, text: str, code: str, file: str | None, depth: int = 0) -> None:
        self.sources.append((text, code, file))
        self._registers(text, code, file)
        self._includes(text, code, file, depth)
        if depth == 0:
            self._broadcasts(text, code, file)

    def arity(self, builtins: dict[str, int]) -> None:
        """A call without parentheses to a gate that takes parameters is an error qiskit does not report
        (it fails later constructing the gate, or runs a definition with its parameters missing)."""
        params = {"U": 3, "CX": 0, **builtins}
        for _, code, _ in self.sources:
            for m in _DEFINITION.finditer(code):
                inside = (m.group(2) or "").strip()
                params[m.group(1)] = len(inside.split(",")) if inside else 0
        names = sorted((n for n, k in params.items() if k), key=len, reverse=True)
        if not names:
            return
        bare = re.compile(r"(?:\A|[;{}])\s*(?:if\s*\([^)]*\)\s*)?(" + "|".join(map(re.escape, names))
                          + r")(?![A-Za-z0-9_])(?!\s*\()")
        for text, code, file in self.sources:
            m = bare.search(code)
            if m:
                n = params[m.group(1)]
                line, col = position(text, m.start(1))
                raise QasmError(f"'{m.group(1)}' takes {n} parameter{'s' if n > 1 else ''}, but got 0",
                                line=line, column=col, construct="gate parameters", **({"file": file} if file else {}))

    def _registers(self, text: str, code: str, file: str | None) -> None:
        lim = self.limits
        for m in _REG.finditer(code):
            digits = m.group(3)
            n = _integer(digits)
            kind, reg = m.group(1), m.group(2)
            if kind == "qreg":
                self.qubits += n
                if self.qubits > lim.max_qubits:
                    raise limit_error(f"qreg {reg}[{digits}] brings the qubit count to {self.qubits}; the limit is "
                                      f"{lim.max_qubits}", "parse.max_qubits", "qubit count", text, m.start(), file)
            else:
                self.clbits += n
                if self.clbits > lim.max_clbits:
                    raise limit_error(f"creg {reg}[{digits}] brings the classical bit count to {self.clbits}; the "
                                      f"limit is {lim.max_clbits}", "parse.max_clbits", "bit count", text,
                                      m.start(), file)
            self.sizes[reg] = n
        for m in _MACHINE_INT.finditer(code):  # qiskit's Rust parser panics on these from 2**64
            digits = m.group(1) if m.group(1) is not None else m.group(2)
            if len(digits.lstrip("0")) > 18:
                line, col = position(text, m.start(1) if m.group(1) is not None else m.start())
                what = ("index", "is out of range for every register") if m.group(1) is not None else (
                    "version", "is not an OpenQASM version")
                raise QasmError(f"{what[0]} {digits[:40]} {what[1]}", line=line, column=col, construct=what[0],
                                **({"file": file} if file else {}))

    def _includes(self, text: str, code: str, file: str | None, depth: int) -> None:
        # names come from the text (strings are blanked in ``code``); every ``include`` must be understood
        found = [m for m in _INCLUDE.finditer(text) if code.startswith("include", m.start())]
        if len(found) != len(_INCLUDE_KW.findall(code)):
            starts = {m.start() for m in found}
            bad = next(m.start() for m in _INCLUDE_KW.finditer(code) if m.start() not in starts)
            line, col = position(text, bad)
            raise QasmError("include needs a quoted file name: include \"name\";", line=line, column=col,
                            construct="include", **({"file": file} if file else {}))
        for m in found:
            name = m.group(1) if m.group(1) is not None else m.group(2)
            if name in _BUILTIN_INCLUDES:
                continue
            try:
                if depth >= _MAX_INCLUDE_DEPTH:
                    raise ExprError(f"includes nest deeper than {_MAX_INCLUDE_DEPTH} files", construct="include")
                path = resolve_include(name, self.dirs)
                if str(path) in self.seen:
                    continue
                self.seen.add(str(path))
                inc = read_include(path, name, self.budget)
            except ExprError as e:
                raise located(e, text, m.start(), file) from None
            inc_code, _ = prescan(inc, self.limits, 2, file=name)
            self.included_gates |= set(_GATE_DEF.findall(inc_code))
            self.program(inc, inc_code, name, depth + 1)

    def _broadcasts(self, text: str, code: str, file: str | None) -> None:
        """Instructions the top-level statements broadcast to, bounded before qiskit builds them."""
        lim = self.limits
        widest = max(self.sizes.values(), default=1)
        if code.count(";") * widest <= lim.max_operations:
            return  # cannot exceed the bound whatever the statements are
        total = 0
        for offset, count in _top_level(code, self.sizes):
            total += count
            if total > lim.max_operations:
                raise limit_error(f"the program broadcasts to more than {lim.max_operations} operations",
                                  "parse.max_operations", "operation count", text, offset, file)


#: a top-level statement: a gate definition (to its closing brace) or anything up to ';'
_STATEMENT = re.compile(r"\s*(?:gate\b[^{]*\{[^}]*\}?|([^;]*);)")


def _top_level(code: str, sizes: dict[str, int]):
    """``(offset, instructions)`` of each top-level statement, in order (gate bodies skipped); the
    count is what qiskit appends for it: one per broadcast element, one for a barrier."""
    registers = re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(map(re.escape, sizes)) + r")(?![A-Za-z0-9_])(?!\s*\[)"
                           ) if sizes else None
    memo: dict[str, int] = {}
    for m in _STATEMENT.finditer(code):
        stmt = m.group(1)
        if stmt is None:  # a gate definition
            continue
        count = memo.get(stmt)
        if count is None:
            body = stmt.lstrip()
            word = _WORD.match(body)
            head = word.group() if word else ""
            if registers is None or not registers.search(stmt):  # no whole-register operand: no broadcast
                count = 0 if head in ("OPENQASM", "include", "qreg", "creg", "opaque", "") else 1
            else:
                count = _instructions(body, head, sizes)
            if len(memo) < 4096:
                memo[stmt] = count
        yield m.start(1), count


def _integer(digits: str) -> int:
    """A decimal literal's value; one beyond 18 significant digits stays at 10**18 (bigger than any bound)."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= 18 else 10**18


def _instructions(stmt: str, head: str, sizes: dict[str, int]) -> int:
    if head in ("OPENQASM", "include", "qreg", "creg", "opaque", ""):
        return 0
    if head == "barrier":
        return 1
    if head == "if":
        close = stmt.find(")")
        inner = stmt[close + 1:].lstrip() if close >= 0 else ""
        word = _WORD.match(inner)
        return _instructions(inner, word.group() if word else "", sizes)
    rest = stmt[len(head):]
    if rest.lstrip().startswith("("):  # parameters: skip the balanced parentheses
        depth, i = 0, rest.find("(")
        for i in range(i, len(rest)):
            if rest[i] == "(":
                depth += 1
            elif rest[i] == ")":
                depth -= 1
                if depth == 0:
                    break
        rest = rest[i + 1:]
    if head == "measure":
        rest = rest.split("->", 1)[0]
    widest = 1
    for m in _OPERAND.finditer(rest):
        if m.group(2) is None and m.group(1) in sizes:  # a whole register: the call broadcasts over it
            widest = max(widest, sizes[m.group(1)])
    return widest


def _statement_of_instruction(code: str, sizes: dict[str, int], index: int) -> int | None:
    """Offset of the top-level statement that produced qiskit instruction ``index`` (0-based)."""
    seen = 0
    for offset, count in _top_level(code, sizes):
        seen += count
        if index < seen:
            return offset
    return None
