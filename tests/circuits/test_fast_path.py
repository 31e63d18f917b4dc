"""The straight-line fast path gives exactly the AST lowering's circuit, or declines (FR-003, NFR-003)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnb.circuits import bundled, load, random_circuit, to_qasm3
from qnb.circuits.qasm3 import loads_qasm3
from qnb.circuits.qasm3_fast import try_fast
from qnb.errors import QasmError

H = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'

FLAT = [
    H + "qubit[3] q;\nbit[3] c;\nh q;\ncx q[0], q[1];\nc = measure q;\n",
    H + "qreg a[2];\nqreg b[2];\ncreg m[2];\ncx a, b;\ncx a[0], b;\nmeasure a -> m;\nmeasure b[1] -> m[0];\n",
    H + "qubit anc;\nqubit[2] r;\nbit f;\nreset r;\nbarrier;\nbarrier r[1], anc, r[1];\nf = measure anc;\n",
    H + "input float[64] theta;\ninput angle phi;\nqubit[2] q;\nrz(theta / 2 + 1) q[0];\n"
        "cp(-(phi * 2) + pi) q[0], q[1];\nrx(sin(theta) ** 2) q[1];\nu3(theta, 0.5, -phi) q[0];\n",
    H + "qubit[1] q;\nrz(1e-3) q[0];\nrz(.5) q[0];\nrz(-0) q[0];\nrz(7 / 2) q[0];\nrz(2 ** 3 ** 2) q[0];\n"
        "rz(0x1F) q[0];\nrz(1_000) q[0];\nrz(-2 ** 2) q[0];\nrz(5.) q[0];\n",
    "// no header at all\nqubit[2] q;\nU(0.1, 0.2, 0.3) q[0];\nCX q[0], q[1];\n",
    'OPENQASM 3;\ninclude "qelib1.inc";\nqubit[5] q;\ncu1(0.3) q[0], q[1];\nc3x q[0], q[1], q[2], q[3];\n'
        "u2(0.1, 0.2) q[4];\nrzz(0.2) q[3], q[4];\n",
    H + "/* block */ qubit[2] q; // trailing\nh q[0]; cx q[0],q[1];\n",
    H + "gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }\nqubit[2] q;\nrzz(0.4) q[0], q[1];\n",
]


@pytest.mark.parametrize("text", FLAT)
def test_fast_path_equals_ast_lowering(text):
    fast = try_fast(text)
    assert fast is not None, "this program is straight-line and should take the fast path"
    slow = loads_qasm3(text, fast=False)
    assert fast == slow  # dataclass equality: ops, labels, parameters, name, format
    assert fast.fingerprint() == slow.fingerprint()


@pytest.mark.parametrize("name", sorted(bundled()))
def test_fast_path_equals_ast_on_exported_bundled_circuits(name):
    text = to_qasm3(load(name))
    fast = try_fast(text)
    assert fast is not None
    assert fast == loads_qasm3(text, fast=False)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), ops=st.integers(0, 30), seed=st.integers(0, 10**9), measure=st.booleans())
def test_fast_path_equals_ast_on_random_circuits(n, ops, seed, measure):
    text = to_qasm3(random_circuit(n, ops, seed, measure=measure))
    fast = try_fast(text)
    assert fast is not None and fast == loads_qasm3(text, fast=False)


@pytest.mark.parametrize("text", [
    H + "qubit[2] q;\nfor int i in [0:1] { h q[i]; }\n",              # loop
    H + "const int n = 2;\nqubit[n] q;\n",                               # const
    H + "qubit[2] q;\nctrl @ x q[0], q[1];\n",                          # modifier
    H + "cx $0, $1;\n",                                                  # physical qubits
    H + "qubit[2] q;\nh q[-1];\n",                                       # negative index
    H + "gate g a { x a; }\nqubit q;\ng q;\n",                           # non-canonical gate definition
    H + "gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }\nqubit[2] q;\nrzz(0.1) q[0], q[1];\n",  # other spelling
    H + "qubit[2] q;\nbit[2] c = measure q;\n",                          # declaration with measurement
    H + "qubit q;\nmeasure q;\n",                                        # measure without target
    H + "input int n;\n",                                                # non-real input
    H + "input float pi2;\nqubit θ;\n",                                  # unicode identifier
    H + "qubit[2] q;\nrz(1 ^ 2) q[0];\n",                                # xor: not Python semantics
])
def test_fast_path_declines_what_it_does_not_cover(text):
    assert try_fast(text) is None


@pytest.mark.parametrize("text", [
    H + "qubit[2] q;\nh r[0];\n",                 # undeclared
    H + "qubit[2] q;\ncx q[0], q[2];\n",          # index out of range
    H + "qubit[2] q;\ncx q[0];\n",                # arity
    H + "qubit[2] q;\nrz(0.1, 0.2) q[0];\n",      # parameter count
    H + "qubit[2] q;\nfoo q[0];\n",               # unknown gate
    H + "qubit[2] q;\ncx q[1], q[1];\n",          # duplicate qubit
    H + "qubit[2] q;\nqubit[2] q;\n",             # redeclaration
    H + "qubit[2] h;\n",                          # name clash with a gate
    H + "qubit[2] q;\nh q[0]\n",                  # missing semicolon
    "OPENQASM 3;\nqubit q;\nh q;\n",             # gate without include
])
def test_invalid_programs_fall_back_and_get_a_located_error(text):
    assert try_fast(text) is None
    with pytest.raises(QasmError) as e:
        load(text)
    assert e.value.line is not None and e.value.column is not None
