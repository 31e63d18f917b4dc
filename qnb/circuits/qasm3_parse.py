"""Parse OpenQASM 3 text into the reference AST (``openqasm3``) with located syntax errors.

``openqasm3.parse`` bails out on the first syntax error with a bare ``QASM3ParsingError`` (no
message, no position). We drive the same ANTLR lexer/parser and the same AST visitor, but with an
error listener that raises :class:`~qnb.errors.QasmError` carrying ANTLR's message and 1-based
line/column. Errors the visitor itself raises (``"L3:C4: 'break' statement outside loop"``) are
converted too.

ANTLR's Python runtime needs ~0.2 ms per token and recurses per nesting level, so callers run
:func:`qnb.circuits.limits.prescan` first (size, literals, nesting), and the parse itself watches
the deadline of the active :class:`~qnb.circuits.limits.Budget` at every consumed token and
prediction. ``quote=False`` (included files) leaves the offending text out of syntax errors.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import QasmError
from .expr import LimitError
from .limits import current

__all__ = ["parse_qasm3", "line_starts"]

_VISITOR_LOC = re.compile(r"^L(\d+):C(\d+):\s*(.*)$", re.S)


def line_starts(text: str) -> list[int]:
    """Character offset at which each line starts (line 1 -> index 0)."""
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _listener(file: str | None, quote: bool = True):
    from antlr4.error.ErrorListener import ErrorListener

    class _Raise(ErrorListener):
        def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):  # noqa: N802 (ANTLR API)
            fields = {"file": file} if file else {}
            if not quote:
                raise QasmError("syntax error in an included file", line=line, column=column + 1,
                                construct="syntax", **fields)
            token = getattr(offendingSymbol, "text", None)
            if isinstance(token, str) and len(token) > 80:
                token = token[:80] + "..."
            if len(msg) > 300:
                msg = msg[:300] + "..."
            raise QasmError(f"syntax error: {msg}", line=line, column=column + 1, construct="syntax",
                            token=token, **fields)

    return _Raise()


@lru_cache(maxsize=1)
def _classes():
    from antlr4 import CommonTokenStream

    class _WatchedStream(CommonTokenStream):
        """Checks the deadline every 64 consumed tokens."""

        budget = None

        def consume(self):
            self.budget.tick()
            super().consume()

    from openqasm3.parser import QASMNodeVisitor

    class _WatchedVisitor(QASMNodeVisitor):
        """openqasm3's AST visitor, checking the deadline at every statement."""

        budget = None

        def visitStatement(self, ctx):  # noqa: N802 (ANTLR API)
            try:
                self.budget.tick()
            except LimitError as e:
                e.position = (ctx.start.line, ctx.start.column)
                raise
            return super().visitStatement(ctx)

    return _WatchedStream, _WatchedVisitor


def parse_qasm3(text: str, file: str | None = None, quote: bool = True):
    """Return the ``openqasm3.ast.Program`` for ``text`` or raise a located QasmError."""
    from antlr4 import InputStream
    from openqasm3._antlr.qasm3Lexer import qasm3Lexer
    from openqasm3._antlr.qasm3Parser import qasm3Parser
    from openqasm3.parser import QASM3ParsingError

    budget = current()
    listener = _listener(file, quote)
    lexer = qasm3Lexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    stream_cls, visitor_cls = _classes()
    stream = stream_cls(lexer)
    stream.budget = budget
    parser = qasm3Parser(stream)
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    interp = parser._interp
    predict = interp.adaptivePredict

    def watched_predict(input, decision, outer):  # noqa: A002 (ANTLR's names)
        budget.tick()
        return predict(input, decision, outer)

    interp.adaptivePredict = watched_predict
    fields = {"file": file} if file else {}
    try:
        tree = parser.program()
        budget.check_deadline()
        if tree.stop is None:  # no tokens at all (only comments): openqasm3's visitor cannot span it
            from openqasm3 import ast
            return ast.Program(statements=[])
        visitor = visitor_cls()
        visitor.budget = budget
        return visitor.visitProgram(tree)
    except LimitError as e:
        if getattr(e, "position", None):
            line, column = e.position
        else:
            tok = stream.LT(1) if stream.tokens else None
            line, column = getattr(tok, "line", None), getattr(tok, "column", None)
        raise QasmError(e.message, line=line, column=None if column is None else column + 1,
                        construct=e.construct, limit=e.limit, **fields) from None
    except QASM3ParsingError as e:
        m = _VISITOR_LOC.match(str(e))
        if m:
            msg = m.group(3) if quote else "invalid statement in an included file"
            raise QasmError(msg, line=int(m.group(1)), column=int(m.group(2)) + 1, construct="syntax",
                            **fields) from None
        raise QasmError("invalid OpenQASM 3" + (f": {str(e)[:300]}" if quote else " in an included file"),
                        construct="syntax", **fields) from None
