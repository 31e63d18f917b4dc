"""Compile-time values of OpenQASM 3 expressions, including symbolic circuit parameters (FR-003).

The lowering evaluates every classical expression while unrolling the program. A value is a
Python ``int``, ``float`` or ``bool`` (known now), or a :class:`Sym` (depends on an ``input``
parameter, kept as a Python expression tree so it can become a :class:`~qnb.circuits.ir.ParamExpr`).
Arithmetic follows OpenQASM 3 (``int / int`` is integer division truncating toward zero; ``**``
binds tighter than unary minus), and constants fold as soon as both sides are known.

Symbolic values print canonically with :func:`ast.unparse`, so the same expression always yields
the same ``ParamExpr`` text whichever front end produced it, and fingerprints agree.
"""

from __future__ import annotations

import ast
import math
from typing import Union

from .ir import ParamExpr

__all__ = ["Sym", "Value", "ExprError", "LimitError", "CONSTANTS", "binary", "unary", "call_function", "to_param",
           "sym_name", "python_to_qasm", "canonical_param_text", "is_number", "PARAM_RESERVED", "bounded",
           "check_text_depth", "nesting_bound"]


class ExprError(Exception):
    """An expression problem; the lowering turns it into a located QasmError/UnsupportedConstructError."""

    #: the setting that bounds what went wrong (``"parse.max_magnitude"``), for :class:`LimitError`
    limit: str | None = None

    def __init__(self, message: str, construct: str = "expression", unsupported: bool = False) -> None:
        super().__init__(message)
        self.message, self.construct, self.unsupported = message, construct, unsupported


class LimitError(ExprError):
    """A bound of :mod:`qnb.circuits.limits` was exceeded; whoever catches it adds the location."""

    def __init__(self, message: str, limit: str, construct: str = "limit") -> None:
        super().__init__(message, construct=construct)
        self.limit = limit


class Sym:
    """A real-valued expression over ``input`` parameters (a Python ``ast`` expression node).

    ``depth`` and ``size`` (nodes) are tracked as the expression grows, so a program that doubles an
    expression in a loop (``b = b + b``) is stopped at ``parse.max_expression_depth`` levels or
    ``16 x`` that many nodes instead of printing an exponentially long parameter."""

    __slots__ = ("node", "depth", "size", "param")

    def __init__(self, node: ast.expr, depth: int = 1, size: int = 1) -> None:
        self.node, self.depth, self.size, self.param = node, depth, size, None

    def text(self) -> str:
        return ast.unparse(self.node)

    def __repr__(self) -> str:
        return f"Sym({self.text()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sym) and self.text() == other.text()

    def __hash__(self) -> int:
        return hash(self.text())


Value = Union[int, float, bool, Sym]

#: OpenQASM 3 built-in constants (both spellings).
CONSTANTS = {"pi": math.pi, "π": math.pi, "tau": math.tau, "τ": math.tau, "euler": math.e, "ℇ": math.e}

#: Names a circuit parameter may not take: ParamExpr treats them as constants or functions, or Python
#: cannot parse them.
PARAM_RESERVED = frozenset({"pi", "tau", "euler", "e", "sin", "cos", "tan", "exp", "log", "sqrt", "arcsin",
                            "arccos", "arctan", "asin", "acos", "atan"})

#: Functions a symbolic value may pass through (they exist both in ParamExpr and in OpenQASM 3).
_SYM_FUNCS = {"sin", "cos", "tan", "exp", "log", "sqrt", "arcsin", "arccos", "arctan"}
_FUNC_ALIASES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "ln": "log"}

_PY_BINOP = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow, "%": ast.Mod}


def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def sym_name(name: str) -> Sym:
    return Sym(ast.Name(id=name, ctx=ast.Load()))


def _sym(node: ast.expr, *parts: Value) -> Sym:
    """A Sym for ``node`` built over ``parts`` (operands), within the depth and size bounds."""
    depth = 1 + max((p.depth if isinstance(p, Sym) else 1) for p in parts)
    size = 1 + sum((p.size if isinstance(p, Sym) else 1) for p in parts)
    limit = _limits.current().limits.max_expression_depth
    if depth > limit or size > 16 * limit:
        raise LimitError(f"a parameter expression grows beyond {limit} levels or {16 * limit} terms",
                         "parse.max_expression_depth", construct="parameter expression")
    return Sym(node, depth, size)


def bounded(v: Value) -> Value:
    """``v`` if it is a finite number within ``parse.max_magnitude`` (or not a number), else LimitError."""
    if v.__class__ is float or v.__class__ is int:
        limit = _limits.current().limits.max_magnitude
        if not -limit <= v <= limit:  # also catches inf and nan
            raise LimitError(f"value {_short(v)} is beyond the largest magnitude allowed ({limit:g})",
                             "parse.max_magnitude", construct="numeric range")
    return v


def _short(v) -> str:
    if isinstance(v, int) and v.bit_length() > 200:
        return f"~2**{v.bit_length()}"
    return repr(v)


def _node(v: Value) -> ast.expr:
    if isinstance(v, Sym):
        return v.node
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, float) and not math.isfinite(v):
        raise ExprError(f"non-finite value {v} in a parameter expression")
    if v < 0:
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-v))
    return ast.Constant(value=v)


def _int_div(a: int, b: int) -> int:
    if b == 0:
        raise ExprError("integer division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _int_mod(a: int, b: int) -> int:
    if b == 0:
        raise ExprError("integer modulo by zero")
    return a - b * _int_div(a, b)


def binary(op: str, a: Value, b: Value) -> Value:
    """``a op b`` with OpenQASM 3 semantics; ``op`` is the operator's source text."""
    if isinstance(a, Sym) or isinstance(b, Sym):
        if op not in _PY_BINOP:
            raise ExprError(f"operator '{op}' cannot be applied to an input parameter: its value is only known "
                            "at run time", construct="runtime classical computation", unsupported=True)
        return _sym(ast.BinOp(left=_node(a), op=_PY_BINOP[op](), right=_node(b)), a, b)
    return bounded(_binary(op, a, b))


def _binary(op: str, a, b):
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if isinstance(a, int) and isinstance(b, int):
                return _int_div(a, b)
            return a / b
        if op == "%":
            if isinstance(a, int) and isinstance(b, int):
                return _int_mod(a, b)
            return math.fmod(a, b)
        if op == "**":
            _check_power(a, b)
            r = a ** b
            if isinstance(r, complex):
                raise ExprError(f"{a} ** {b} is not real")
            return r
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op == "&&":
            return bool(a) and bool(b)
        if op == "||":
            return bool(a) or bool(b)
        if op in ("&", "|", "^", "<<", ">>"):
            if not (isinstance(a, int) and isinstance(b, int)):
                raise ExprError(f"operator '{op}' needs integer operands, got {a!r} and {b!r}")
            if op == "<<" and a and b > 0 and abs(a).bit_length() + b > _magnitude_bits():
                raise _too_large(f"{a} << {b}")
            if op in ("<<", ">>"):
                if b < 0:
                    return 0
                return a << b if op == "<<" else a >> b
            return {"&": a & b, "|": a | b, "^": a ^ b}[op]
    except ZeroDivisionError:
        raise ExprError(f"division by zero in {_short(a)} {op} {_short(b)}") from None
    except (OverflowError, ValueError, TypeError) as e:
        raise ExprError(f"{_short(a)} {op} {_short(b)} cannot be evaluated: {e}") from None
    raise ExprError(f"unsupported operator '{op}'")


def _magnitude_bits() -> float:
    return math.log2(_limits.current().limits.max_magnitude) + 1


def _too_large(what: str) -> LimitError:
    limit = _limits.current().limits.max_magnitude
    return LimitError(f"{what} is beyond the largest magnitude allowed ({limit:g})", "parse.max_magnitude",
                      construct="numeric range")


def _check_power(a, b) -> None:
    """Refuse ``a ** b`` whose result would exceed the magnitude bound, before computing it."""
    if isinstance(a, bool) or isinstance(b, bool) or not is_number(a) or not is_number(b):
        return
    mag = abs(a)
    if mag > 1 and b > 0:
        if b * math.log(mag) > math.log(_limits.current().limits.max_magnitude):
            raise _too_large(f"{_short(a)} ** {_short(b)}")
    elif 0 < mag < 1 and b < 0:
        if -b * -math.log(mag) > math.log(_limits.current().limits.max_magnitude):
            raise _too_large(f"{_short(a)} ** {_short(b)}")


def unary(op: str, a: Value) -> Value:
    if op == "-":
        if isinstance(a, Sym):
            return _sym(ast.UnaryOp(op=ast.USub(), operand=a.node), a)
        return -a
    if isinstance(a, Sym):
        raise ExprError(f"operator '{op}' cannot be applied to an input parameter",
                        construct="runtime classical computation", unsupported=True)
    if op == "!":
        return not bool(a)
    if op == "~":
        if not isinstance(a, int):
            raise ExprError(f"operator '~' needs an integer, got {a!r}")
        return ~a
    raise ExprError(f"unsupported unary operator '{op}'")


def call_function(name: str, args: list[Value]) -> Value:
    """OpenQASM 3 built-in math functions (``sin``, ``sqrt``, ``mod``, ``ceiling`` ...)."""
    name = _FUNC_ALIASES.get(name, name)
    if any(isinstance(a, Sym) for a in args):
        if name in _SYM_FUNCS and len(args) == 1:
            return _sym(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[_node(args[0])], keywords=[]),
                        args[0])
        if name == "pow" and len(args) == 2:
            return binary("**", args[0], args[1])
        raise ExprError(f"function '{name}' cannot be applied to an input parameter",
                        construct="runtime classical computation", unsupported=True)
    one = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
           "sqrt": math.sqrt, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
           "ceiling": math.ceil, "floor": math.floor}
    try:
        if name in one and len(args) == 1:
            if not is_number(args[0]):
                raise ExprError(f"function '{name}' needs a number, got {args[0]!r}", construct="function call")
            return bounded(one[name](args[0]))
        if name == "mod" and len(args) == 2:
            return binary("%", args[0], args[1])
        if name == "pow" and len(args) == 2:
            return binary("**", args[0], args[1])
        if name == "popcount" and len(args) == 1 and isinstance(args[0], int):
            return bin(args[0] & ((1 << 64) - 1)).count("1")
    except (ValueError, OverflowError, TypeError) as e:
        raise ExprError(f"{name}({', '.join(map(_short, args))}): {e}") from None
    raise ExprError(f"unknown function '{name}' with {len(args)} argument(s)", construct="function call")


def to_param(v: Value):
    """Final gate parameter: a float, or a ParamExpr with canonical text."""
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ExprError(f"gate parameter is not finite: {v}")
        return v
    if isinstance(v, Sym):
        if v.param is not None:  # the same expression object in many gates: one ParamExpr
            return v.param
        text = v.text()
        try:
            v.param = ParamExpr(text)
        except (ArithmeticError, ValueError) as e:
            raise ExprError(f"parameter expression '{text}' cannot be evaluated (qnb checks it with every "
                            f"parameter set to 1.0): {e}") from None
        return v.param
    if isinstance(v, (int, float)):
        f = float(v)
        if not math.isfinite(f):
            raise ExprError(f"gate parameter is not finite: {v}")
        return f
    raise ExprError(f"gate parameter must be a number, got {v!r}")


# ---------------------------------------------------------------------------------------------
# Python-syntax expressions (ParamExpr text, qiskit parameter expressions, the fast QASM path)
# are converted to the openqasm3 AST so that one evaluator defines the meaning of every expression.

def python_to_qasm(node: ast.AST, floats_only: bool = False):
    """Convert a Python expression tree to openqasm3 AST nodes (None if it uses anything else).

    ``floats_only`` turns integer literals into floats (qiskit expressions divide like Python).
    """
    from openqasm3 import ast as q
    ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%"}
    if isinstance(node, ast.Expression):
        return python_to_qasm(node.body, floats_only)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return None
        bounded(node.value)
        if isinstance(node.value, int) and not floats_only:
            return q.IntegerLiteral(node.value)
        return q.FloatLiteral(float(node.value))
    if isinstance(node, ast.Name):
        return q.Identifier(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        lhs, rhs = python_to_qasm(node.left, floats_only), python_to_qasm(node.right, floats_only)
        if lhs is None or rhs is None:
            return None
        return q.BinaryExpression(q.BinaryOperator[ops[type(node.op)]], lhs, rhs)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = python_to_qasm(node.operand, floats_only)
        if inner is None or isinstance(node.op, ast.UAdd):
            return inner
        return q.UnaryExpression(q.UnaryOperator["-"], inner)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords
            and all(not isinstance(a, ast.Starred) for a in node.args)):
        args = [python_to_qasm(a, floats_only) for a in node.args]
        if any(a is None for a in args):
            return None
        return q.FunctionCall(q.Identifier(_FUNC_ALIASES.get(node.func.id, node.func.id)), args)
    return None


def eval_qasm_static(node, env: dict[str, Value]) -> Value:
    """Evaluate a small openqasm3 expression tree (literals, names from ``env``, arithmetic, calls)."""
    from openqasm3 import ast as q
    if isinstance(node, q.IntegerLiteral):
        return node.value
    if isinstance(node, q.FloatLiteral):
        return node.value
    if isinstance(node, q.Identifier):
        if node.name in env:
            return env[node.name]
        if node.name in CONSTANTS:
            return CONSTANTS[node.name]
        raise ExprError(f"unknown name '{node.name}'", construct="identifier")
    if isinstance(node, q.BinaryExpression):
        return binary(node.op.name, eval_qasm_static(node.lhs, env), eval_qasm_static(node.rhs, env))
    if isinstance(node, q.UnaryExpression):
        return unary(node.op.name, eval_qasm_static(node.expression, env))
    if isinstance(node, q.FunctionCall):
        return call_function(node.name.name, [eval_qasm_static(a, env) for a in node.arguments])
    raise ExprError(f"unsupported expression {type(node).__name__}")


def nesting_bound(text: str) -> int:
    """Upper bound on the depth of the expression tree of Python-syntax ``text`` (operators + parentheses)."""
    return sum(map(text.count, "+-*/%(~"))


def check_text_depth(text: str) -> None:
    """LimitError when Python-syntax ``text`` may nest deeper than ``parse.max_expression_depth``
    (Python's own parser recurses, and gives up with RecursionError or MemoryError)."""
    limit = _limits.current().limits.max_expression_depth
    if len(text) > limit and nesting_bound(text) > limit:
        raise LimitError(f"parameter expression of {len(text)} characters nests deeper than {limit} levels",
                         "parse.max_expression_depth", construct="parameter expression")


def canonical_param_text(text: str, names: dict[str, str] | None = None) -> Value:
    """Parse Python-syntax parameter text into a value (folding constants, renaming names).

    ``names`` maps the identifiers that may appear to circuit parameter names; integers are read
    as floats (Python division semantics, which is what qiskit and ParamExpr use).
    """
    check_text_depth(text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse parameter expression '{text[:200]}': {e.msg}") from None
    except (RecursionError, MemoryError):
        raise ExprError(f"parameter expression of {len(text)} characters is too complex to parse") from None
    qnode = python_to_qasm(tree, floats_only=True)
    if qnode is None:
        raise ExprError(f"unsupported element in parameter expression '{text}'")
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    env: dict[str, Value] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and id(n) not in funcs and n.id not in CONSTANTS:
            if names is not None and n.id not in names:
                raise ExprError(f"unknown name '{n.id}' in parameter expression '{text}'")
            env[n.id] = sym_name((names or {}).get(n.id, n.id))
    return eval_qasm_static(qnode, env)


from . import limits as _limits  # noqa: E402  (circular: limits uses ExprError)
