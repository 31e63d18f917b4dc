// GHZ state on 10 qubits, written with a constant and a static for loop.
// Ideal outcome: all zeros or all ones, probability 1/2 each.
OPENQASM 3.0;
include "stdgates.inc";

const int n = 10;
qubit[n] q;
bit[n] c;

h q[0];
for int i in [0:n - 2] {
    cx q[i], q[i + 1];
}

c = measure q;
