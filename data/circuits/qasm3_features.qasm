// A tour of the OpenQASM 3 features qnb lowers beyond qiskit's importer:
// constants and arithmetic, static loops over ranges and sets, subroutines, custom gates,
// the ctrl / negctrl / inv / pow modifiers (also on custom gates), and an input parameter.
OPENQASM 3.0;
include "stdgates.inc";

const int n = 4;
const angle quarter = π / 4;
input angle theta;                   // circuit parameter: bind it before running

qubit[n] q;
bit[n] c;

// a custom gate with a global phase: invisible alone, a relative phase once controlled
gate bell a, b { h a; cx a, b; gphase(quarter); }

def rotate_all(angle a, qubit[n] r) {
    for int i in [0:n - 1] {
        rz(a * (i + 1)) r[i];
    }
}

bell q[0], q[1];
ctrl @ bell q[1], q[2], q[3];        // controlled custom gate, phase included
negctrl @ x q[0], q[3];              // fires when q[0] is |0>
inv @ bell q[2], q[3];
pow(2) @ s q[0];                     // = z
pow(0.5) @ x q[1];                   // = sx
rotate_all(theta, q);
ctrl @ rz(theta / 2) q[3], q[0];
for uint k in {1, 3} {
    cp(quarter * k) q[0], q[k];
}
if (n == 4) {
    barrier q;
}

c = measure q;
