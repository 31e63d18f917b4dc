"""Circuit.fingerprint(): same for the same circuit however it is written, different otherwise (FR-003)."""

import pytest
from qiskit import QuantumCircuit, QuantumRegister, ClassicalRegister

from qnb.circuits import load

BASE = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
rz(pi / 4) q[2];
ccx q[0], q[1], q[2];
c = measure q;
"""

REFORMATTED = """// the same circuit, renamed registers, comments and odd layout
OPENQASM 3;
include "stdgates.inc";
qubit[3] data;   bit[3] out;
/* block
   comment */
h data[0]; cx data[0],
   data[1];
rz(0.7853981633974483) data[2];   // pi/4 written out
ccx data[0], data[1], data[2];
out[0] = measure data[0];
measure data[1] -> out[1];
out[2] = measure data[2];
"""

AS_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg r[3];
creg m[3];
h r[0];
cx r[0],r[1];
rz(pi/4) r[2];
ccx r[0],r[1],r[2];
measure r -> m;
"""

AS_FEATURES = """OPENQASM 3.0;
include "stdgates.inc";
const int n = 3;
qubit[n] q;
bit[n] c;
gate entangle a, b { h a; cx a, b; }
entangle q[0], q[1];
rz(τ / 8) q[2];
ctrl(2) @ x q[0], q[1], q[2];
for int i in [0:n - 1] { c[i] = measure q[i]; }
"""


def test_fingerprint_ignores_formatting_comments_and_register_names():
    assert load(REFORMATTED).fingerprint() == load(BASE).fingerprint()


def test_fingerprint_is_the_same_across_source_languages():
    base = load(BASE).fingerprint()
    assert load(AS_QASM2).fingerprint() == base
    assert load(AS_FEATURES).fingerprint() == base


def test_fingerprint_of_equivalent_qiskit_circuit():
    qc = QuantumCircuit(QuantumRegister(3, "x"), ClassicalRegister(3, "y"))
    qc.h(0)
    qc.cx(0, 1)
    qc.rz(3.141592653589793 / 4, 2)
    qc.ccx(0, 1, 2)
    qc.measure(range(3), range(3))
    assert load(qc).fingerprint() == load(BASE).fingerprint()


@pytest.mark.parametrize("old, new", [
    ("h q[0];", "x q[0];"),                      # different gate
    ("rz(pi / 4) q[2];", "rz(pi / 3) q[2];"),    # different angle
    ("cx q[0], q[1];", "cx q[1], q[0];"),        # different qubit order
    ("c = measure q;", "c[0] = measure q[0];"),  # fewer measurements
])
def test_fingerprint_changes_with_semantics(old, new):
    assert old in BASE
    assert load(BASE.replace(old, new)).fingerprint() != load(BASE).fingerprint()


def test_gate_order_matters():
    swapped = BASE.replace("h q[0];\ncx q[0], q[1];", "cx q[0], q[1];\nh q[0];")
    assert load(swapped).fingerprint() != load(BASE).fingerprint()


def test_fingerprint_tolerates_last_bits_of_float_noise():
    noisy = BASE.replace("rz(pi / 4)", "rz(0.78539816339744839)")
    assert load(noisy).fingerprint() == load(BASE).fingerprint()


def test_parameter_name_is_part_of_the_fingerprint_but_labels_are_not():
    a = load('OPENQASM 3;\ninclude "stdgates.inc";\ninput float a;\nqubit[1] q;\nrz(a) q[0];\n')
    b = load('OPENQASM 3;\ninclude "stdgates.inc";\ninput float b;\nqubit[1] r;\nrz(b) r[0];\n')
    assert a.fingerprint() != b.fingerprint()
    assert a.bind(a=0.5).fingerprint() == b.bind(b=0.5).fingerprint()
