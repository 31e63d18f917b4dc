"""Parse OpenQASM 3 text into the reference AST (``openqasm3``) with located syntax errors.

``openqasm3.parse`` bails out on the first syntax error with a bare ``QASM3ParsingError`` (no
message, no position). We drive the same ANTLR lexer/parser and the same AST visitor, but with an
error listener that raises :class:`~qnb.errors.QasmError` carrying ANTLR's message and 1-based
line/column. Errors the visitor itself raises (``"L3:C4: 'break' statement outside loop"``) are
converted too.
"""

from __future__ import annotations

import re

from ..errors import QasmError

__all__ = ["parse_qasm3", "line_starts"]

_VISITOR_LOC = re.compile(r"^L(\d+):C(\d+):\s*(.*)$", re.S)


def line_starts(text: str) -> list[int]:
    """Character offset at which each line starts (line 1 -> index 0)."""
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _listener(file: str | None):
    from antlr4.error.ErrorListener import ErrorListener

    class _Raise(ErrorListener):
        def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):  # noqa: N802 (ANTLR API)
            token = getattr(offendingSymbol, "text", None)
            fields = {"file": file} if file else {}
            raise QasmError(f"syntax error: {msg}", line=line, column=column + 1, construct="syntax",
                            token=token, **fields)

    return _Raise()


def parse_qasm3(text: str, file: str | None = None):
    """Return the ``openqasm3.ast.Program`` for ``text`` or raise a located QasmError."""
    from antlr4 import CommonTokenStream, InputStream
    from openqasm3._antlr.qasm3Lexer import qasm3Lexer
    from openqasm3._antlr.qasm3Parser import qasm3Parser
    from openqasm3.parser import QASM3ParsingError, QASMNodeVisitor

    listener = _listener(file)
    lexer = qasm3Lexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = qasm3Parser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.program()
    try:
        return QASMNodeVisitor().visitProgram(tree)
    except QASM3ParsingError as e:
        m = _VISITOR_LOC.match(str(e))
        fields = {"file": file} if file else {}
        if m:
            raise QasmError(m.group(3), line=int(m.group(1)), column=int(m.group(2)) + 1, construct="syntax",
                            **fields) from None
        raise QasmError(f"invalid OpenQASM 3: {e}", construct="syntax", **fields) from None
