"""Identifier rules shared by the front ends and exporters: OpenQASM 3 keywords, safe parameter names.

A parameter name must be usable in three places at once: an OpenQASM 3 ``input`` declaration, a
:class:`~qnb.circuits.ir.ParamExpr` (Python syntax, where ``pi``/``e``/``sin`` are taken) and a
qiskit ``Parameter``. :func:`sanitize_identifier` maps any name (``θ[0]``, ``my param``) to one.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

from .expr import CONSTANTS, PARAM_RESERVED

__all__ = ["QASM_KEYWORDS", "RESERVED", "sanitize_identifier", "is_plain_identifier"]

#: Reserved words of the OpenQASM 3 grammar (plus literal-like words).
QASM_KEYWORDS = frozenset({
    "OPENQASM", "include", "defcalgrammar", "def", "cal", "defcal", "gate", "extern", "box", "let", "break",
    "continue", "if", "else", "end", "return", "for", "while", "in", "switch", "case", "default", "input",
    "output", "const", "readonly", "mutable", "qreg", "qubit", "creg", "bool", "bit", "int", "uint", "float",
    "angle", "complex", "array", "void", "duration", "stretch", "gphase", "inv", "pow", "ctrl", "negctrl",
    "durationof", "delay", "reset", "measure", "barrier", "im", "true", "false", "dim", "sizeof",
})

#: Everything a generated name must avoid.
RESERVED = QASM_KEYWORDS | PARAM_RESERVED | frozenset(CONSTANTS) | frozenset(keyword.kwlist) | {"U", "CX"}

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_plain_identifier(name: str) -> bool:
    """ASCII identifier that is no reserved word anywhere."""
    return bool(_PLAIN.match(name)) and name not in RESERVED


def sanitize_identifier(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A valid, unreserved identifier close to ``name`` and not in ``taken``."""
    s = unicodedata.normalize("NFKC", name)
    s = re.sub(r"\W", "_", s).strip("_") or "p"
    if not (s[0].isalpha() or s[0] == "_"):
        s = "p_" + s
    if s in RESERVED or s in CONSTANTS:
        s += "_"
    while s in taken:
        s += "_"
    return s
