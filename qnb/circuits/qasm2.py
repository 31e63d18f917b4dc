"""OpenQASM 2 -> IR through qiskit's OpenQASM 2 parser (FR-003).

``qiskit.qasm2.loads`` with ``LEGACY_CUSTOM_INSTRUCTIONS`` understands ``qelib1.inc`` and the legacy
gates real files use (``u0 u1 u2 u3 cu1 cu3 rxx rzz c3x c4x rc3x ...``); the circuit is then
converted with :func:`.from_qiskit.from_qiskit`. Two precautions:

* qiskit's custom instructions *replace* a file's own ``gate`` definition of the same name; we drop
  those names from the list so a file's definition is always what runs.
* errors carry a location: parse errors (``"<input>:LINE,COL: ..."``) are re-raised as
  :class:`QasmError`, and ``if`` / ``opaque`` (valid OpenQASM 2 that qnb cannot run) are reported at
  their statement.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import QasmError, UnsupportedConstructError
from .ir import Circuit

__all__ = ["loads_qasm2"]

_LOCATION = re.compile(r"<input>:(\d+),(\d+):\s*(.*)", re.S)
_COMMENT = re.compile(r"//[^\n]*")
_GATE_DEF = re.compile(r"\bgate\s+([A-Za-z_][A-Za-z0-9_]*)")
_IF = re.compile(r"\bif\s*\(")
_OPAQUE = re.compile(r"\bopaque\s+([A-Za-z_][A-Za-z0-9_]*)")


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces so that offsets (and so line/column) are unchanged."""
    return _COMMENT.sub(lambda m: " " * len(m.group()), text)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def loads_qasm2(text: str, *, name: str = "circuit", file: str | None = None,
                base_dir: Path | None = None) -> Circuit:
    import qiskit.qasm2 as q2
    from .from_qiskit import from_qiskit

    fields = {"file": file} if file else {}
    code = _blank_comments(text)
    own = set(_GATE_DEF.findall(code))
    custom = [ci for ci in q2.LEGACY_CUSTOM_INSTRUCTIONS if ci.name not in own]
    include_path = [str(base_dir)] if base_dir is not None else [str(Path.cwd())]
    try:
        qc = q2.loads(text, include_path=include_path, custom_instructions=custom)
    except q2.QASM2ParseError as e:
        msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        m = _LOCATION.search(msg)
        if m:
            raise QasmError(m.group(3).strip(), line=int(m.group(1)), column=int(m.group(2)) + 1,
                            construct="syntax", **fields) from None
        raise QasmError(f"invalid OpenQASM 2: {e}", construct="syntax", **fields) from None
    m = _IF.search(code)
    if m:
        line, col = _position(text, m.start())
        raise UnsupportedConstructError("'if' makes the circuit depend on measurement results (classical "
                                        "feed-forward), which a static circuit cannot express",
                                        line=line, column=col, construct="if (classical control)", **fields)
    for m in _OPAQUE.finditer(code):
        line, col = _position(text, m.start())
        raise UnsupportedConstructError(f"opaque gate '{m.group(1)}' has no definition, so it cannot be simulated",
                                        line=line, column=col, construct="opaque gate", **fields)
    try:
        return from_qiskit(qc, name, source_format="qasm2", source=text)
    except QasmError as e:
        e.fields.update(fields)
        raise
