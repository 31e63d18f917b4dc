"""Grammar-aware fuzz of the OpenQASM 2 and 3 front ends (FR-003, FR-014; docs/circuit-limits.md).

Hypothesis builds programs from the grammar (declarations with hostile sizes, gate calls with
modifiers and expressions over hostile numbers, loops, branches, gate and subroutine definitions,
includes), mutates the bundled circuits, and throws raw text at :func:`qnb.circuits.loads`. Each
input must load, or raise a :class:`~qnb.errors.QnbError` with a line and column that is not the
loader's ``internal`` last resort, and do so within a time bound. Small limits keep each example
cheap; the whole file stays well under a minute (bounded ``max_examples`` and ``deadline``);
``QNB_FUZZ_EXAMPLES=N`` runs N examples per test instead. Programs are new on every run (no example
database); a failure prints the program, and each one found becomes a test in test_limits.py.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from qnb.circuits import Circuit, ParseLimits, bundled, loads
from qnb.circuits.loader import detect_version
from qnb.errors import QnbError

LIMITS = ParseLimits(max_qubits=64, max_clbits=64, max_operations=20_000, max_loop_iterations=2_000,
                     max_expression_depth=64, max_literal_digits=64, max_magnitude=1e30, deadline_s=1.0)
#: a load may overrun the 1 s deadline by the last unit of work (~0.15 s); the rest is slack for a
#: busy machine. A load fails the bound only if it also used that much CPU: a starved process is slow
#: in wall time, a runaway one burns CPU.
TIME_BOUND_S = 4.0
#: examples per test; ``QNB_FUZZ_EXAMPLES=5000`` for a longer session
EXAMPLES = int(os.environ.get("QNB_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=10), database=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def _warm():
    loads('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n')
    loads('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit q;\nif (true) { h q; }\n')


def check(text: str) -> None:
    """Loads, or a located structured error (never an internal one), within the time bound."""
    t, cpu = time.perf_counter(), time.process_time()
    try:
        c = loads(text, settings=LIMITS)
    except QnbError as e:
        body = e.to_json()["error"]
        json.dumps(body)
        assert not body.get("internal"), f"internal error for {text!r}: {body}"
        assert body.get("line") is not None and body.get("column") is not None, f"unlocated for {text!r}: {body}"
    else:
        assert isinstance(c, Circuit)
        assert len(c.fingerprint()) == 64
    elapsed, used = time.perf_counter() - t, time.process_time() - cpu
    assert elapsed < TIME_BOUND_S or used < TIME_BOUND_S / 2, f"{elapsed:.2f} s ({used:.2f} s CPU) for {text[:300]!r}"


# ------------------------------------------------------------------------------------- grammar

HOSTILE_NUMBERS = ["10**10**10", "1e400", "9" * 80, "2147483648", "4097", "1" + "0" * 30, "0x" + "f" * 40,
                   "2**2**2**2**2", "(1 << 200)", "1.0/0.0", "-0", "0.5**-5000", "1e-400", "9" * 65]
names = st.sampled_from(["q", "r", "a", "b", "c", "x", "h", "g", "f", "th", "pi", "for", "qubit", "nope", "$0", "$3",
                         "π", "n", "i"])
numbers = st.one_of(st.integers(-20, 20).map(str), st.integers(0, 2**70).map(str),
                    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
                    st.sampled_from(HOSTILE_NUMBERS))
BINOPS = ["+", "-", "*", "/", "**", "%", "<<", ">>", "&", "|", "^", "==", "<", ">=", "&&", "||"]
FUNCS = ["sin", "cos", "exp", "log", "sqrt", "mod", "ceiling", "floor", "popcount", "arccos", "arctan", "sizeof"]


def _expressions(atoms):
    return st.recursive(atoms, lambda e: st.one_of(
        st.tuples(e, st.sampled_from(BINOPS), e).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "~", "!"]), e).map("".join),
        st.tuples(st.sampled_from(FUNCS), st.lists(e, min_size=1, max_size=2)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(st.sampled_from(["int", "float", "uint", "bool", "angle"]), e).map(lambda t: f"{t[0]}({t[1]})"),
    ), max_leaves=8)


expr3 = _expressions(st.one_of(numbers, names))
sizes = st.one_of(st.integers(-1, 8).map(str), st.sampled_from(["4097", "100000000", "2147483648", "n", "10**9"]),
                  expr3)
index = st.one_of(st.integers(-3, 9).map(str), expr3,
                  st.tuples(expr3, expr3).map(lambda t: f"{t[0]}:{t[1]}"),
                  st.lists(st.integers(-2, 5).map(str), min_size=1, max_size=3).map(lambda v: "{" + ", ".join(v) + "}"))
operand3 = st.one_of(names, st.tuples(names, index).map(lambda t: f"{t[0]}[{t[1]}]"))
modifier = st.one_of(st.just("inv @ "), st.just("ctrl @ "), st.just("negctrl @ "),
                     expr3.map(lambda e: f"pow({e}) @ "), sizes.map(lambda s: f"ctrl({s}) @ "))
gate_name = st.sampled_from(["x", "h", "rz", "rx", "cx", "ccx", "cp", "u3", "U", "CX", "swap", "g", "f", "nope",
                             "gphase", "measure"])
gate_call3 = st.builds(
    lambda mods, g, params, ops: "".join(mods) + g + (f"({', '.join(params)})" if params is not None else "")
    + " " + ", ".join(ops) + ";",
    st.lists(modifier, max_size=3), gate_name, st.none() | st.lists(expr3, max_size=3),
    st.lists(operand3, min_size=1, max_size=3))
simple3 = st.one_of(
    gate_call3,
    st.builds(lambda s, n: f"qubit[{s}] {n};", sizes, names),
    st.builds(lambda s, n: f"bit[{s}] {n};", sizes, names),
    st.builds(lambda n: f"qubit {n};", names),
    st.builds(lambda t, n, e: f"{t} {n} = {e};", st.sampled_from(["int", "float", "const int", "const float", "bool",
                                                                 "uint[8]", "angle"]), names, expr3),
    st.builds(lambda n, e: f"{n} = {e};", names, expr3),
    st.builds(lambda n, op, e: f"{n} {op}= {e};", names, st.sampled_from(["+", "*", "<<", "-"]), expr3),
    st.builds(lambda n: f"input float {n};", names),
    st.builds(lambda a, b: f"{b} = measure {a};", operand3, operand3),
    st.builds(lambda a, b: f"measure {a} -> {b};", operand3, operand3),
    st.builds(lambda a: f"reset {a};", operand3),
    st.builds(lambda ops: f"barrier {', '.join(ops)};", st.lists(operand3, max_size=3)),
    st.builds(lambda n, args: f"{n}({', '.join(args)});", names, st.lists(st.one_of(expr3, operand3), max_size=2)),
    st.sampled_from(["break;", "continue;", "end;", "return;", "return measure q;", "gphase(0.1);", "delay[10ns] q;",
                     "pragma x", "while (true) { x q; }", "box { x q; }", "let s = q[0:1];"]),
    st.builds(lambda name: f'include "{name}";', st.sampled_from(
        ["stdgates.inc", "qelib1.inc", "qnbgates.inc", "../../etc/passwd", "/etc/passwd", "nope.inc", "a" * 300, ""])),
)


def _compound3(body):
    block = st.lists(body, max_size=4).map(lambda b: "{ " + " ".join(b) + " }")
    return st.one_of(
        st.builds(lambda t, n, lo, hi, b: f"for {t} {n} in [{lo}:{hi}] {b}", st.sampled_from(["int", "uint", "float"]),
                  names, st.one_of(st.integers(-5, 5).map(str), expr3), st.one_of(st.integers(-5, 50).map(str),
                                                                                  st.just("10**12"), expr3), block),
        st.builds(lambda n, vals, b: f"for int {n} in {{{', '.join(vals)}}} {b}", names, st.lists(expr3, max_size=4),
                  block),
        st.builds(lambda c, b, e: f"if ({c}) {b}" + (f" else {e}" if e else ""), expr3, block,
                  st.none() | block),
        st.builds(lambda n, params, qs, b: f"gate {n}" + (f"({', '.join(params)})" if params else "")
                  + f" {', '.join(qs)} {b}", names, st.lists(names, max_size=2), st.lists(names, min_size=1, max_size=3),
                  block),
        st.builds(lambda n, args, b: f"def {n}({', '.join(args)}) {b}", names,
                  st.lists(st.sampled_from(["qubit a", "qubit[2] a", "int k", "float t", "bit b"]), max_size=2), block),
        block,
    )


statement3 = st.recursive(simple3, _compound3, max_leaves=10)
program3 = st.builds(
    lambda header, includes, decls, body: header + "".join(includes) + "\n".join(decls + body),
    st.sampled_from(["OPENQASM 3.0;\n", "OPENQASM 3;\n", "", "OPENQASM 3.1;\n", "OPENQASM 4.0;\n"]),
    st.lists(st.just('include "stdgates.inc";\n'), max_size=1),
    st.lists(st.sampled_from(["qubit[4] q;", "qubit q;", "bit[4] c;", "qubit[2] r;", "input float th;",
                              "const int n = 3;"]), max_size=4),
    st.lists(statement3, max_size=8))

expr2 = st.recursive(st.one_of(numbers.filter(lambda s: "**" not in s and "<<" not in s and "0x" not in s),
                               st.sampled_from(["pi", "t", "th", "q"])),
                     lambda e: st.one_of(
                         st.tuples(e, st.sampled_from(["+", "-", "*", "/", "^"]), e).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
                         e.map(lambda x: f"-{x}"),
                         st.tuples(st.sampled_from(["sin", "cos", "tan", "exp", "ln", "sqrt"]), e).map(
                             lambda t: f"{t[0]}({t[1]})")), max_leaves=8)
operand2 = st.one_of(st.sampled_from(["q", "r", "c", "a"]),
                     st.tuples(st.sampled_from(["q", "r", "c", "a"]), st.integers(-1, 9)).map(lambda t: f"{t[0]}[{t[1]}]"))
gate_call2 = st.builds(
    lambda g, params, ops: g + (f"({','.join(params)})" if params is not None else "") + " " + ",".join(ops) + ";",
    st.sampled_from(["U", "CX", "x", "h", "cx", "u3", "u1", "rz", "ccx", "c3x", "rc3x", "g", "nope", "measure"]),
    st.none() | st.lists(expr2, max_size=3), st.lists(operand2, min_size=1, max_size=3))
simple2 = st.one_of(
    gate_call2,
    st.builds(lambda k, n, s: f"{k} {n}[{s}];", st.sampled_from(["qreg", "creg"]), st.sampled_from(["q", "r", "c"]),
              st.one_of(st.integers(0, 8).map(str), st.sampled_from(["4097", "2147483648", "1000000000", "9" * 70]))),
    st.builds(lambda a, b: f"measure {a} -> {b};", operand2, operand2),
    st.builds(lambda a: f"reset {a};", operand2),
    st.builds(lambda ops: f"barrier {','.join(ops)};", st.lists(operand2, min_size=1, max_size=3)),
    st.builds(lambda c, n, g: f"if({c}=={n}) {g}", st.sampled_from(["c", "q"]), st.integers(0, 9), gate_call2),
    st.builds(lambda n, params, qs, body: f"gate {n}" + (f"({','.join(params)})" if params else "")
              + f" {','.join(qs)} {{ {' '.join(body)} }}", st.sampled_from(["g", "h2", "x", "majority"]),
              st.lists(st.sampled_from(["t", "th"]), max_size=2), st.lists(st.sampled_from(["a", "b"]), min_size=1,
                                                                            max_size=2),
              st.lists(gate_call2, max_size=3)),
    st.builds(lambda n: f"opaque {n} a;", st.sampled_from(["g", "op"])),
    st.builds(lambda name, quote: f"include {quote}{name}{quote};", st.sampled_from(
        ["qelib1.inc", "qnbgates.inc", "/etc/passwd", "../../etc/hostname", "a" * 300, "", "x//y"]),
        st.sampled_from(['"', "'"])),
)
program2 = st.builds(lambda header, body: header + "\n".join(body),
                     st.sampled_from(['OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n',
                                      "OPENQASM 2.0;\n", 'OPENQASM 2.0;\ninclude "qelib1.inc";\n']),
                     st.lists(simple2, max_size=10))

JUNK = ["{", "}", "(", ")", "[", "]", ";", ",", "@", "$", "\"", "'", "/*", "//", "\n", "\x00", "->", "**", "==",
        "9" * 70, "1e400", "if", "for", "gate", "qubit[4097]", "π", "\ud800", "\u202e", " "]
edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 6), st.sampled_from(JUNK)), min_size=1, max_size=6)


def mutate(text: str, changes) -> str:
    for pos, drop, tok in changes:
        i = pos % (len(text) + 1)
        text = text[:i] + tok + text[i + drop:]
    return text


BUNDLED = {name: path.read_text() for name, path in bundled().items()}
QASM3_BUNDLED = sorted(n for n, t in BUNDLED.items() if detect_version(t) == 3)
QASM2_BUNDLED = sorted(n for n, t in BUNDLED.items() if detect_version(t) == 2)


# --------------------------------------------------------------------------------------- tests

@FUZZ
@given(program3)
def test_qasm3_programs_from_the_grammar(text):
    check(text)


@FUZZ
@given(st.sampled_from(QASM3_BUNDLED), edits)
def test_qasm3_mutants_of_bundled_circuits(name, changes):
    check(mutate(BUNDLED[name], changes))


@FUZZ
@given(program2)
def test_qasm2_programs_from_the_grammar(text):
    check(text)


@FUZZ
@given(st.sampled_from(QASM2_BUNDLED), edits)
def test_qasm2_mutants_of_bundled_circuits(name, changes):
    check(mutate(BUNDLED[name], changes))


@FUZZ
@given(st.one_of(st.text(max_size=300),
                 st.lists(st.sampled_from(JUNK + ["qubit q;", "x q;", "OPENQASM 3;", "OPENQASM 2.0;", "qreg q[1];",
                                                  'include "stdgates.inc";', "rz(", ") q;"]), max_size=40).map("".join)))
def test_raw_text(text):
    check(text)
