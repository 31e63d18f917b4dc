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

__all__ = ["Sym", "Value", "ExprError", "CONSTANTS", "binary", "unary", "call_function", "to_param",
           "sym_name", "python_to_qasm", "canonical_param_text", "is_number", "PARAM_RESERVED"]


class ExprError(Exception):
    """An expression problem; the lowering turns it into a located QasmError/UnsupportedConstructError."""

    def __init__(self, message: str, construct: str = "expression", unsupported: bool = False) -> None:
        super().__init__(message)
        self.message, self.construct, self.unsupported = message, construct, unsupported


class Sym:
    """A real-valued expression over ``input`` parameters (a Python ``ast`` expression node)."""

    __slots__ = ("node",)

    def __init__(self, node: ast.expr) -> None:
        self.node = node

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
        return Sym(ast.BinOp(left=_node(a), op=_PY_BINOP[op](), right=_node(b)))
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
            return {"&": a & b, "|": a | b, "^": a ^ b, "<<": a << b if b >= 0 else 0,
                    ">>": a >> b if b >= 0 else 0}[op]
    except ZeroDivisionError:
        raise ExprError(f"division by zero in {a!r} {op} {b!r}") from None
    except OverflowError:
        raise ExprError(f"overflow in {a!r} {op} {b!r}") from None
    raise ExprError(f"unsupported operator '{op}'")


def unary(op: str, a: Value) -> Value:
    if op == "-":
        if isinstance(a, Sym):
            return Sym(ast.UnaryOp(op=ast.USub(), operand=a.node))
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
            return Sym(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[_node(args[0])], keywords=[]))
        if name == "pow" and len(args) == 2:
            return binary("**", args[0], args[1])
        raise ExprError(f"function '{name}' cannot be applied to an input parameter",
                        construct="runtime classical computation", unsupported=True)
    one = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
           "sqrt": math.sqrt, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
           "ceiling": math.ceil, "floor": math.floor}
    try:
        if name in one and len(args) == 1:
            return one[name](args[0])
        if name == "mod" and len(args) == 2:
            return binary("%", args[0], args[1])
        if name == "pow" and len(args) == 2:
            return binary("**", args[0], args[1])
        if name == "popcount" and len(args) == 1 and isinstance(args[0], int):
            return bin(args[0] & ((1 << 64) - 1)).count("1")
    except (ValueError, OverflowError) as e:
        raise ExprError(f"{name}({', '.join(map(repr, args))}): {e}") from None
    raise ExprError(f"unknown function '{name}' with {len(args)} argument(s)", construct="function call")


def to_param(v: Value):
    """Final gate parameter: a float, or a ParamExpr with canonical text."""
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ExprError(f"gate parameter is not finite: {v}")
        return v
    if isinstance(v, Sym):
        text = v.text()
        try:
            return ParamExpr(text)
        except (ArithmeticError, ValueError) as e:
            raise ExprError(f"parameter expression '{text}' cannot be evaluated (qnb checks it with every "
                            f"parameter set to 1.0): {e}") from None
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


def canonical_param_text(text: str, names: dict[str, str] | None = None) -> Value:
    """Parse Python-syntax parameter text into a value (folding constants, renaming names).

    ``names`` maps the identifiers that may appear to circuit parameter names; integers are read
    as floats (Python division semantics, which is what qiskit and ParamExpr use).
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse parameter expression '{text}': {e.msg}") from None
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
