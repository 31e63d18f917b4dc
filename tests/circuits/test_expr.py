"""Compile-time values and canonical parameter text (the basis of stable ParamExpr fingerprints)."""

import math

import pytest

from qnb.circuits.expr import (ExprError, Sym, binary, call_function, canonical_param_text, sym_name, to_param,
                               unary)
from qnb.circuits.ir import ParamExpr
from qnb.circuits.names import sanitize_identifier


def test_integer_division_truncates_toward_zero_like_openqasm():
    assert binary("/", 7, 2) == 3 and binary("/", -7, 2) == -3 and binary("/", 7, -2) == -3
    assert binary("%", -7, 2) == -1  # remainder has the dividend's sign (C semantics)
    assert binary("/", 7, 2.0) == 3.5


def test_division_by_zero_is_an_error():
    with pytest.raises(ExprError):
        binary("/", 1, 0)
    with pytest.raises(ExprError):
        binary("/", 1.0, 0.0)


def test_symbolic_arithmetic_folds_constants_only():
    t = sym_name("t")
    v = binary("+", binary("*", 2, 3), binary("/", t, 2))
    assert isinstance(v, Sym) and v.text() == "6 + t / 2"
    assert unary("-", t).text() == "-t"
    assert binary("*", t, -1.5).text() == "t * -1.5"


def test_symbolic_values_reject_runtime_only_operators():
    with pytest.raises(ExprError) as e:
        binary("<", sym_name("t"), 1)
    assert e.value.unsupported
    with pytest.raises(ExprError):
        call_function("floor", [sym_name("t")])


def test_math_functions():
    assert call_function("arccos", [1.0]) == 0.0 and call_function("ceiling", [1.2]) == 2
    assert call_function("sin", [sym_name("x")]).text() == "sin(x)"
    with pytest.raises(ExprError):
        call_function("nosuch", [1.0])


def test_to_param():
    assert to_param(3) == 3.0 and isinstance(to_param(3), float)
    p = to_param(binary("*", sym_name("a"), 2))
    assert isinstance(p, ParamExpr) and p.evaluate({"a": 1.5}) == 3.0
    with pytest.raises(ExprError):
        to_param(float("nan"))


def test_canonical_text_is_idempotent_and_renames():
    v = canonical_param_text("2*x + 0.5*sin(x)", {"x": "theta"})
    assert v.text() == "2.0 * theta + 0.5 * sin(theta)"
    assert canonical_param_text(v.text(), {"theta": "theta"}).text() == v.text()
    assert canonical_param_text("pi/2") == pytest.approx(math.pi / 2)


def test_canonical_text_rejects_unknown_names():
    with pytest.raises(ExprError):
        canonical_param_text("x + I", {"x": "x"})


@pytest.mark.parametrize("name, expected", [
    ("theta", "theta"), ("θ[0]", "θ_0"), ("my param", "my_param"), ("0abc", "p_0abc"), ("pi", "pi_"),
    ("lambda", "lambda_"), ("e", "e_"), ("input", "input_"), ("ℌ", "H"),
])
def test_sanitize_identifier(name, expected):
    assert sanitize_identifier(name) == expected


def test_sanitize_avoids_taken_names():
    assert sanitize_identifier("a[0]", {"a_0"}) == "a_0_"
