// GHZ state on 5 qubits: (|00000> + |11111>) / sqrt(2).
// Ideal outcome: "00000" and "11111" with probability 1/2 each.
OPENQASM 3.0;
include "stdgates.inc";

qubit[5] q;
bit[5] c;

h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
cx q[3], q[4];

c = measure q;
