"""Bounds the circuit front ends check *while* they work (FR-003, FR-014; docs/circuit-limits.md).

A hostile program must be rejected before the work it would cause, never after. Three layers:

* :class:`ParseLimits` is the resolved form of the ``[parse]`` settings (plus
  ``limits.max_qasm_bytes``): what a program may declare, expand to and nest.
* :func:`prescan` checks the raw text in linear time before any parser sees it: its size, the
  digits of every numeric literal, and an upper bound on nesting (brackets, operator chains and
  nested statements). The ANTLR parser of ``openqasm3`` and its AST visitor recurse once or more per
  level, and Python's ``int()`` refuses literals beyond 4,300 digits, so these never reach them.
* :class:`Budget` is the limits of the one load in progress, found through a context variable by
  code that has no other way to receive them (expression evaluation, gate modifiers, the
  builder). It also carries the deadline: long-running loops call :meth:`Budget.tick`.

A violation raises :class:`LimitError` (an :class:`~qnb.circuits.expr.ExprError`) where the location
is not known, or a located :class:`~qnb.errors.QasmError` directly. Either way the error names the
setting in its ``limit`` field (``"parse.max_qubits"``), so a user knows which knob bounds them.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from ..errors import QasmError
from .expr import ExprError, LimitError

__all__ = ["ParseLimits", "Budget", "LimitError", "current", "activate", "prescan", "blank_non_code",
           "position", "located", "deep_recursion", "BUNDLED_INCLUDE_DIR", "MAX_INCLUDE_NAME"]

#: ``include`` files shipped with qnb (always allowed; see :func:`ParseLimits.include_dirs`).
BUNDLED_INCLUDE_DIR = Path(__file__).resolve().parent / "include"
#: Longest include file name accepted (longer names are refused before the file system sees them).
MAX_INCLUDE_NAME = 255
#: Python frames the parser and lowering may use per level counted by :func:`prescan` (measured: at
#: most 13 for ``if (...) stmt``, 21 for ``for ... {`` which counts two levels).
_FRAMES_PER_LEVEL = 20


@dataclass(frozen=True)
class ParseLimits:
    """Resolved bounds of one load. Build it with :meth:`of` from settings, or use the defaults."""

    max_source_bytes: int = 1024 * 1024
    max_qubits: int = 4096
    max_clbits: int = 65536
    max_operations: int = 2_000_000
    max_loop_iterations: int = 1_000_000
    max_expression_depth: int = 200
    max_literal_digits: int = 400
    max_magnitude: float = 1e30
    #: extra include directories (``parse.include_path``), in search order after the bundled one
    include_path: tuple[Path, ...] = ()
    #: wall-clock bound on one load (``parse.deadline_s``); None: no deadline
    deadline_s: float | None = 10.0

    @classmethod
    def of(cls, settings=None) -> "ParseLimits":
        """From a :class:`qnb.config.Settings` (``[parse]`` + ``limits.max_qasm_bytes``), a
        :class:`qnb.config.ParseSettings`, a ``ParseLimits`` (returned as is) or None (defaults)."""
        if settings is None:
            return default_limits()
        if isinstance(settings, ParseLimits):
            return settings
        from ..config import LimitSettings, ParseSettings, Settings
        if isinstance(settings, Settings):
            parse, max_bytes = settings.parse, settings.limits.max_qasm_bytes
        elif isinstance(settings, ParseSettings):
            parse, max_bytes = settings, LimitSettings().max_qasm_bytes
        else:
            raise TypeError(f"settings must be qnb.config.Settings, ParseSettings or ParseLimits, "
                            f"not {type(settings).__name__}")
        return _from_sections(parse, max_bytes)

    def replace(self, **changes) -> "ParseLimits":
        return replace(self, **changes)

    def include_dirs(self, base_dir: Path | None = None) -> tuple[Path, ...]:
        """Where ``include`` may read from: the bundled directory, ``base_dir`` (the directory of a
        file the user loaded by path, never for text) and ``parse.include_path``."""
        dirs = [BUNDLED_INCLUDE_DIR]
        if base_dir is not None:
            dirs.append(Path(base_dir).resolve())
        dirs.extend(self.include_path)
        out: list[Path] = []
        for d in dirs:
            if d not in out:
                out.append(d)
        return tuple(out)


@lru_cache(maxsize=1)
def default_limits() -> ParseLimits:
    """The ``ParseSettings()`` defaults (and ``LimitSettings().max_qasm_bytes``)."""
    from ..config import LimitSettings, ParseSettings
    return _from_sections(ParseSettings(), LimitSettings().max_qasm_bytes)


def _from_sections(parse, max_bytes: int) -> ParseLimits:
    dirs = tuple(Path(p).expanduser().resolve() for p in (parse.include_path or "").split(os.pathsep) if p)
    return ParseLimits(max_source_bytes=max_bytes, max_qubits=parse.max_qubits, max_clbits=parse.max_clbits,
                       max_operations=parse.max_operations, max_loop_iterations=parse.max_loop_iterations,
                       max_expression_depth=parse.max_expression_depth,
                       max_literal_digits=parse.max_literal_digits, max_magnitude=parse.max_magnitude,
                       include_path=dirs, deadline_s=parse.deadline_s)


# ------------------------------------------------------------------------------------------ budget

class Budget:
    """The limits of the load in progress, its deadline and the source bytes read so far."""

    __slots__ = ("limits", "deadline_at", "source_bytes", "_ticks")

    def __init__(self, limits: ParseLimits, deadline: bool = True) -> None:
        self.limits = limits
        d = limits.deadline_s if deadline else None
        self.deadline_at = math.inf if d is None else time.monotonic() + d
        self.source_bytes = 0
        self._ticks = 0

    def tick(self) -> None:
        """Raise :class:`LimitError` once the deadline has passed (cheap: a clock read every 64 calls)."""
        self._ticks += 1
        if self._ticks & 63 == 0:
            self.check_deadline()

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline_at:
            raise LimitError(f"the program takes longer than {self.limits.deadline_s:g} s to load",
                             "parse.deadline_s", construct="deadline")

    def add_source(self, nbytes: int, what: str = "the circuit source") -> None:
        """Count ``nbytes`` of source (the program and every file it includes) against the size limit."""
        self.source_bytes += nbytes
        limit = self.limits.max_source_bytes
        if self.source_bytes > limit:
            raise LimitError(f"{what} brings the source to {self.source_bytes} bytes; the limit is {limit}",
                             "limits.max_qasm_bytes", construct="source size")


_ACTIVE: ContextVar[Budget | None] = ContextVar("qnb_parse_budget", default=None)
_IDLE: Budget | None = None


def current() -> Budget:
    """The budget of the load in progress (default limits and no deadline outside a load)."""
    b = _ACTIVE.get()
    if b is not None:
        return b
    global _IDLE
    if _IDLE is None:
        _IDLE = Budget(default_limits(), deadline=False)
    return _IDLE


class activate:
    """``with activate(limits) as budget:`` makes ``limits`` the bounds of the code inside (a new
    deadline starts); nested uses reuse the outer budget, so an ``include`` or a fallback parse
    shares one deadline and one size count. (A class, not a generator: it is on every load's path.)"""

    __slots__ = ("limits", "token", "budget")

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits, self.token, self.budget = limits, None, None

    def __enter__(self) -> Budget:
        outer = _ACTIVE.get()
        if outer is not None and (self.limits is None or self.limits is outer.limits):
            self.budget = outer
        else:
            self.budget = Budget(self.limits or default_limits())
            self.token = _ACTIVE.set(self.budget)
        return self.budget

    def __exit__(self, *exc) -> None:
        if self.token is not None:
            _ACTIVE.reset(self.token)
            self.token = None


# -------------------------------------------------------------------------------------- positions

def position(text: str, offset: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def located(e: ExprError, text: str, offset: int, file: str | None = None) -> QasmError:
    """A located :class:`QasmError` for an :class:`ExprError` (``limit`` kept) at ``offset`` of ``text``."""
    line, col = position(text, offset)
    fields = {"file": file} if file else {}
    if getattr(e, "limit", None):
        fields["limit"] = e.limit
    return QasmError(e.message, line=line, column=col, construct=e.construct, **fields)


def limit_error(message: str, limit: str, construct: str, text: str, offset: int,
                file: str | None = None) -> QasmError:
    return located(LimitError(message, limit, construct), text, offset, file)


# ---------------------------------------------------------------------------------------- prescan

#: comments and string contents (QASM 3 also: ``#pragma`` / ``pragma`` and ``@annotation`` lines)
_NON_CODE3 = re.compile(r'"[^"\n]*"|//[^\n]*|/\*.*?(?:\*/|\Z)|(?m:^[ \t]*(?:#?pragma\b|@)[^\n]*)', re.S)
_NON_CODE2 = re.compile(r'"[^"\n]*"|\'[^\'\n]*\'|//[^\n]*')
_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(m: re.Match) -> str:
    s = m.group()
    if s[0] in "\"'":
        return s[0] + " " * (len(s) - 2) + s[-1]
    return _NOT_NEWLINE.sub(" ", s)


def blank_non_code(text: str, version: int = 3) -> str:
    """``text`` with comments (and string contents, pragmas, annotations) replaced by spaces, so
    offsets, lines and columns are unchanged."""
    return (_NON_CODE3 if version == 3 else _NON_CODE2).sub(_blank, text)


def check_size(text: str, limits: ParseLimits, budget: Budget | None = None) -> None:
    """The source size limit, before anything else looks at the text."""
    limit = limits.max_source_bytes
    n = len(text)
    if n > limit or (n * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
        size = n if n > limit else len(text.encode("utf-8", "surrogatepass"))
        raise QasmError(f"the circuit source is {size} bytes; the limit is {limit}", line=1, column=1,
                        construct="source size", limit="limits.max_qasm_bytes")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:  # a lone surrogate: possible in a str (or JSON), not in Unicode text
            line, col = position(text, e.start)
            raise QasmError(f"the source is not Unicode text: character U+{ord(text[e.start]):04X} at offset "
                            f"{e.start} is a lone surrogate", line=line, column=col, construct="encoding") from None
    if budget is not None:
        budget.source_bytes += n


def check_literals(code: str, limits: ParseLimits, text: str, file: str | None = None) -> None:
    """Every numeric literal (a token starting with a digit, so hex and bitstrings too) has at most
    ``max_literal_digits`` characters."""
    n = limits.max_literal_digits
    m = re.search(r"(?<![A-Za-z0-9_])[0-9][0-9A-Za-z_]{%d}" % n, code)
    if m:
        raise limit_error(f"a numeric literal longer than {n} digits", "parse.max_literal_digits",
                          "numeric literal", text, m.start(), file)


#: what check_depth counts (single characters first, keywords only where a keyword can start: ~3x faster)
_TOKENS = re.compile(r"[()\[\]{};,]|\*\*|&&|\|\||<<|>>|[=!<>]=|->|[-+*/%^&|<>=!~]"
                     r"|(?<![A-Za-z0-9_])(?=[iefwscdgb])(?:if|else|for|while|switch|case|default|def|gate|box)"
                     r"(?![A-Za-z0-9_])")
_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")


def check_depth(code: str, limits: ParseLimits, text: str, file: str | None = None) -> int:
    """Upper bound on the nesting a parser meets, rejected above ``max_expression_depth``.

    At each point the bound is the number of open brackets plus, on every open level, the operators
    and nesting keywords (``if``, ``else``, ``for`` ...) since that level's last ``;`` or ``,``: an
    operator chain ``1+1+...`` or ``-(-(-...`` is as deep as it is long, a chain of ``if (c) if (c)``
    or ``else if`` is as deep as the number of keywords. Returns the deepest point."""
    limit = limits.max_expression_depth
    levels = [0]
    total = deepest = 0
    after_close = False
    prev = ""
    for i, tok in enumerate(_TOKENS.findall(code)):  # strings, not match objects: the position only on error
        before, prev = prev, tok
        if after_close:
            after_close = False
            if tok != "else":  # a block statement ended: the next statement starts afresh
                total -= levels[-1]
                levels[-1] = 0
        if tok == ";" or tok == ",":
            total -= levels[-1]
            levels[-1] = 0
            continue
        if tok in _OPEN:
            if tok == "[" and before == "]":  # a chain of indices nests like an operator chain
                levels[-1] += 1
                total += 1
            levels.append(0)
            total += 1
        elif tok in _CLOSE:
            if len(levels) > 1:
                total -= 1 + levels.pop()
            after_close = tok == "}"
            continue
        else:
            levels[-1] += 1
            total += 1
        if total > deepest:
            deepest = total
            if total > limit:
                offset = next(m.start() for k, m in enumerate(_TOKENS.finditer(code)) if k == i)
                raise limit_error(f"the program nests deeper than {limit} levels here (brackets, operator "
                                  "chains and nested statements count)", "parse.max_expression_depth",
                                  "nesting depth", text, offset, file)
    return deepest


_PHYSICAL = re.compile(r"\$[0-9]+")


def check_physical(code: str, limits: ParseLimits, text: str, file: str | None = None) -> None:
    """Distinct physical qubits ``$n`` within ``max_qubits`` (OpenQASM 3), before a parser sees them."""
    if code.count("$") <= limits.max_qubits:
        return
    seen: set[str] = set()
    for m in _PHYSICAL.finditer(code):
        seen.add(m.group().lstrip("$0") or "0")
        if len(seen) > limits.max_qubits:
            raise limit_error(f"more than {limits.max_qubits} distinct physical qubits; the limit is "
                              f"{limits.max_qubits}", "parse.max_qubits", "qubit count", text, m.start(), file)


def prescan(text: str, limits: ParseLimits, version: int = 3, file: str | None = None,
            depth: bool = True) -> tuple[str, int]:
    """Size, literal, physical-qubit and (if ``depth``) nesting checks; returns the blanked code and
    the nesting bound."""
    code = blank_non_code(text, version)
    check_literals(code, limits, text, file)
    if version == 3:
        check_physical(code, limits, text, file)
    deepest = check_depth(code, limits, text, file) if depth else 0
    return code, deepest


# -------------------------------------------------------------------------------------- recursion

_REC_LOCK = threading.Lock()
_REC_USERS = 0
_REC_SAVED: int | None = None


@contextlib.contextmanager
def deep_recursion(levels: int):
    """Room for ``levels`` nesting levels of parser and lowering recursion (see :func:`check_depth`).

    Python's recursion limit is process-wide: it is raised while any load needs more and restored
    when the last one finishes."""
    global _REC_USERS, _REC_SAVED
    needed = _frame_depth() + _FRAMES_PER_LEVEL * max(levels, 1) + 1000
    with _REC_LOCK:
        _REC_USERS += 1
        if needed > sys.getrecursionlimit():
            if _REC_SAVED is None:
                _REC_SAVED = sys.getrecursionlimit()
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        with _REC_LOCK:
            _REC_USERS -= 1
            if _REC_USERS == 0 and _REC_SAVED is not None:
                sys.setrecursionlimit(_REC_SAVED)
                _REC_SAVED = None


def _frame_depth() -> int:
    f, n = sys._getframe(), 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n
